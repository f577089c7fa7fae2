package life

// ControlRequest is a request from another terminal to the running
// supervisor.
type ControlRequest struct {
	Op    string   // "stop", "restart", "reload" or "start"
	Names []string // process (web) or instance (web.2) names
	Deps  bool     // restart: also what depends on them
	Env   []string // reload: the environment to resolve the plan in
	Reply chan<- ControlReply
}

// ControlReply answers a ControlRequest.
type ControlReply struct {
	OK      bool   `json:"ok"`
	Error   string `json:"error,omitempty"`
	Message string `json:"message,omitempty"`
	// Anew: this supervisor cannot do what was asked, and the stack must
	// be started anew (a reload when the set of processes changed). A
	// reply not OK without it is a verdict: a restarted process failed.
	Anew bool `json:"anew,omitempty"`
	// Started names the instances a start request started (the others
	// were running already): what its asker stops when done with them.
	Started []string `json:"started,omitempty"`
	// Stopping: the stack stops (Error says why); nothing runs on.
	Stopping bool `json:"stopping,omitempty"`
}
