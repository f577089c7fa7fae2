package state

import "runtime"

// loopbackControl picks the control transport: Windows gets a loopback
// port with a token (its unix sockets offer no peer check), the rest a
// unix socket.
const loopbackControl = runtime.GOOS == "windows"
