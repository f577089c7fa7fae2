package proc

// Groups is one look at the process table: the living (not zombie)
// members of every process group. Asking it about many groups costs one
// scan of /proc instead of one scan per group, which made reclaim and
// status of a 100-process stack take a third of a second.
type Groups struct {
	members map[int][]int
	scanned bool // false where there is no table to scan: ask per group
}

// LivingGroups takes the look.
func LivingGroups() Groups {
	m, ok := scanGroups()
	return Groups{members: m, scanned: ok}
}

// Living tells whether group pgid has a member that is not a zombie.
func (g Groups) Living(pgid int) bool {
	if pgid <= 0 {
		return false
	}
	if !g.scanned {
		return GroupLiving(pgid)
	}
	return len(g.members[pgid]) > 0
}

// Members lists the living processes of group pgid.
func (g Groups) Members(pgid int) []int {
	if pgid <= 0 {
		return nil
	}
	if !g.scanned {
		return GroupMembers(pgid)
	}
	return g.members[pgid]
}
