package procfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// isFolder says why a dir= folder cannot be a working directory: caught
// here, the user reads "no such folder" on the Procfile's line instead of
// the "fork/exec /usr/bin/ls: no such file or directory" that starting
// the process would give.
func isFolder(path string) error {
	fi, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("no such folder")
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("not a folder")
	}
	return nil
}

// checkOwnedPorts rejects two instances owning one port, whether two
// processes name it or a scaled process's further instances (+1 each)
// land on another's port. Both would fail at start, one with EADDRINUSE.
func checkOwnedPorts(pl *Plan) error {
	owner := map[int]*Instance{}
	for _, in := range pl.Instances {
		if !in.PortOwned {
			continue
		}
		prev, taken := owner[in.Port]
		if !taken {
			owner[in.Port] = in
			continue
		}
		return &Error{File: pl.Procfile.File, Line: in.Proc.KeyLine("port"),
			Msg: fmt.Sprintf("port %d is owned twice: by %s and by %s; give one of them another port=",
				in.Port, pl.portOwner(in), pl.portOwner(prev))}
	}
	return nil
}

// portOwner names an instance and the line its port comes from.
func (pl *Plan) portOwner(in *Instance) string {
	p := in.Proc
	if pl.Count[p.Name] > 1 {
		return fmt.Sprintf("%s (port=%s on line %d, +%d for instance %d)", in.Name, p.Port, p.KeyLine("port"), in.Number-1, in.Number)
	}
	return fmt.Sprintf("%s (port=%s on line %d)", p.Name, p.Port, p.KeyLine("port"))
}
