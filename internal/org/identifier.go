package org

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// standardOrganID is the scheme of Quyết định 20/2020/QĐ-TTg for state bodies:
	// NNN.NN.NN.XNN, level 1 (a letter and two digits) on the right.
	standardOrganID = regexp.MustCompile(`^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$`)
	// registeredOrganID is what other registered schemes may use.
	registeredOrganID = regexp.MustCompile(`^[0-9A-Z.]{1,35}$`)
)

// CheckOrganID validates an agency identifier. It returns an error when the identifier
// cannot be one at all, and a warning (empty when none) when it is usable but does not
// follow the NNN.NN.NN.XNN scheme, as real traffic contains such codes.
func CheckOrganID(id string) (warning string, err error) {
	if id == "" {
		return "", fmt.Errorf("mã định danh is empty")
	}
	if standardOrganID.MatchString(id) {
		return "", nil
	}
	if strings.ToUpper(id) != id || !registeredOrganID.MatchString(id) {
		return "", fmt.Errorf("mã định danh %q is invalid: use NNN.NN.NN.XNN (e.g. 000.00.00.H56) or up to 35 characters of 0-9, A-Z and dots", id)
	}
	return fmt.Sprintf("mã định danh %q does not follow the NNN.NN.NN.XNN scheme of QĐ 20/2020/QĐ-TTg", id), nil
}
