package state

import "github.com/hiverun/hiverun/procfile"

// Change is what differs between how this instance was started and how
// to says to run it now. A record from a hiverun that kept no settings
// has only its fingerprint, which covers fewer keys: any difference there
// is taken as a change that needs a restart.
func (in *Instance) Change(to *procfile.Instance) procfile.Change {
	if in.Settings != nil {
		return procfile.Diff(*in.Settings, procfile.SettingsOf(to))
	}
	if in.Fingerprint != procfile.Fingerprint(to) {
		return procfile.Change{Restart: true, Why: "changed"}
	}
	return procfile.Change{}
}
