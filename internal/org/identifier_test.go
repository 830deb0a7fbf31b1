package org

import "testing"

func TestCheckOrganID(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id      string
		wantErr bool
		warn    bool
	}{
		{"000.00.00.H56", false, false},
		{"000.00.00.G22", false, false},
		{"000.01.12.H28", false, false},
		{"28.22.H17", false, true},
		{"UBND.PHULUONG", false, true},
		{"", true, false},
		{"000.00.00.h56", true, false},
		{"000 00 00 H56", true, false},
		{"000.00.00.H56.000.00.00.H56.000.00.00", true, false},
	}
	for _, tt := range tests {
		warn, err := CheckOrganID(tt.id)
		if (err != nil) != tt.wantErr {
			t.Errorf("CheckOrganID(%q) error = %v, want error %v", tt.id, err, tt.wantErr)
		}
		if (warn != "") != tt.warn {
			t.Errorf("CheckOrganID(%q) warning = %q, want warning %v", tt.id, warn, tt.warn)
		}
	}
}
