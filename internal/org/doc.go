// Package org owns the organisation directory: agencies (cơ quan) with their official
// identifiers (mã định danh), arranged in a tree of any depth (province → district →
// commune before July 2025, province → commune after); units (đơn vị, phòng ban)
// inside an agency; users and their memberships in one or more agencies.
//
// It knows nothing of passwords or permissions (package access) and nothing of
// documents (package docs).
package org
