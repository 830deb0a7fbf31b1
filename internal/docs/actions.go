package docs

import (
	"slices"

	"edms/internal/access"
)

// ActionInfo is a lifecycle step that a document's current state allows.
type ActionInfo struct {
	Action     string   // the step's name, e.g. "approve"
	Label      string   // what the step does, in Vietnamese, e.g. "duyệt"
	From       []string // the states it starts from
	Permission access.Permission
}

// NextActions lists the steps the document's lifecycle allows from its current state,
// so that a user interface offers exactly those (the service still checks each one).
func NextActions(d *Record) []ActionInfo {
	m := machineOf(d.Direction)
	state := m.state(d)
	var out []ActionInfo
	for _, t := range m.transitions {
		if slices.Contains(t.from, state) {
			out = append(out, t.info())
		}
	}
	return out
}

func (t transition) info() ActionInfo {
	return ActionInfo{Action: t.action, Label: t.label, From: t.from, Permission: t.perm}
}

// StateLabel returns the Vietnamese name of the document's current state.
func StateLabel(d *Record) string {
	if d.Direction == Incoming {
		return d.IncomingState.Label()
	}
	return d.OutgoingState.Label()
}

// Actions lists every step of a lifecycle, in order.
func Actions(dir Direction) []ActionInfo {
	m := machineOf(dir)
	out := make([]ActionInfo, 0, len(m.transitions))
	for _, t := range m.transitions {
		out = append(out, t.info())
	}
	return out
}

func machineOf(dir Direction) *machine {
	if dir == Incoming {
		return incoming
	}
	return outgoing
}

// StateName returns the Vietnamese name of a state of a lifecycle ("" for none).
func StateName(dir Direction, state string) string {
	return machineOf(dir).labels[state]
}
