// Package docs owns documents (văn bản) as Nghị định 30/2020 describes them: their
// metadata (model.go), their files, the outgoing and incoming lifecycles, the registers
// and their gapless numbering, assignments with deadlines, search and statistics.
package docs
