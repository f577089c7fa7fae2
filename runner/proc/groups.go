package proc

// Groups answers questions about process groups from one look at the
// process table, taken when a question first needs it; the zero value is
// ready to use. One look per moment, shared by every group asked about,
// instead of one scan of /proc per group: that made status and reclaim of
// a 100-process stack take a third of a second.
type Groups struct {
	looked  bool
	members map[int][]int // living (not zombie) members; nil where there is no table to look at
}

func (g *Groups) table() (map[int][]int, bool) {
	if !g.looked {
		g.members = scanGroups()
		g.looked = true
	}
	return g.members, g.members != nil
}

// Living tells whether group pgid has a member that is not a zombie.
func (g *Groups) Living(pgid int) bool {
	// kill(0) first: cheap, and a group it cannot reach needs no look.
	if !GroupExists(pgid) {
		return false
	}
	m, ok := g.table()
	if !ok {
		return GroupLiving(pgid)
	}
	return len(m[pgid]) > 0
}

// Members lists the living processes of group pgid.
func (g *Groups) Members(pgid int) []int {
	if !GroupExists(pgid) {
		return nil
	}
	m, ok := g.table()
	if !ok {
		return GroupMembers(pgid)
	}
	return m[pgid]
}
