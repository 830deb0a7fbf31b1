// Package axis speaks the HTTP API of the national document interconnection axis
// (VXP/VDXP, and the provincial LGSPs built on it) that existing agency software
// uses: HMAC-signed XroadVnpt-* headers, sendEdoc, getReceivedEdocList, getEdoc,
// updateStatus, getAgenciesList and getSentEdocList (../shared/domain/axis.md).
//
// It owns three things:
//
//   - Client, one system's credentials (systemid and secret) and the operations,
//     with the headers signed exactly as the VNPT SDK signs them and the answers
//     read as tolerantly as the SDK reads them;
//   - Uplink, the adapter through which a hub forwards packages to the axis, pulls
//     the packages the axis holds for the hub's members and reads its directory;
//   - Fake, a faithful stand-in for the axis (an http.Handler) that other packages'
//     tests start on loopback: it authenticates, checks what it is sent as the axis
//     is expected to, and keeps per-recipient queues until they are acknowledged.
//
// The axis never calls back: receiving is polling, and its acknowledgement
// (updateStatus done or fail) is a transport acknowledgement, distinct from the
// edXML status codes, which travel as status packages.
package axis
