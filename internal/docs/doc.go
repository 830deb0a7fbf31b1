// Package docs owns documents (văn bản) as Nghị định 30/2020 describes them: their
// metadata (model.go: the 29 types and their abbreviations, urgency, secrecy, number
// and symbol, signer, recipients), their files, the outgoing and incoming lifecycles,
// the registers and their gapless numbering, assignments with deadlines, records
// (hồ sơ), search and statistics.
//
// # Files
//
// Every file is stored once, by SHA-256, in PostgreSQL (blobs + 1 MiB blob_chunks),
// streamed in and out so that no file is held whole in memory. The first bytes must
// match the declared type (a DOCX sent as a PDF is refused; a PDF starts with its
// %PDF- header, never after markup), the stored name carries the type's extension, and
// the size limit is Service.MaxFileSize. Drafts keep every version of the main file
// with who made it and why; a DOCX version gets a PDF rendition from headless
// LibreOffice (Converter, run by a ConvertDocxArgs job that the upload inserts): the
// archive is checked against zip bombs first (docxcheck.go), LibreOffice runs under
// prlimit with memory, CPU and time limits, outside any transaction, and a conversion
// that fails for good keeps the drafter's sentence on the file (ConversionFailures). Without LibreOffice a DOCX is refused and the user asked for
// a PDF.
//
// # Lifecycles
//
// Each lifecycle is a table of transitions (outgoing.go, incoming.go) built from the
// typed state constants, over states that the database also constrains with CHECK
// (TestStateMachinesAgree keeps constants, labels, table and constraint equal); no
// code moves a document outside its table (moveState refuses an undeclared move). A
// step locks the document row through the visibility rule (a document the actor
// cannot see is not found, before anything about its state is said), checks the
// state (refusing with a Vietnamese sentence that names the current state and who may
// act), the permission (casbin, through Authorizer) and its own rules, changes the
// state, and writes the transition log, the audit entry and any River job it causes
// (JobInserter.InsertTx) in the same transaction: the job exists exactly when the
// change does.
//
// Outgoing: draft → in_review → (returned | approved) → pending_signature → signed →
// numbered → sealed → sent → (recalled | replaced). The signature steps call the
// SigningHook when one is configured; otherwise the decision is recorded and the
// document stays marked as not digitally signed (leader_signed, agency_signed false):
// nothing pretends to be a signature. A person may instead sign with their own key,
// which the server never holds, in two phases (personal_sign.go): the signature is
// prepared and kept in pending_signatures, its value comes back from the person's
// device, and any node completes it; an agency may require this for everyone. Sending hands the document at once to recipient
// agencies of the same node (a new incoming document sharing the stored files) and
// queues one exchange.send_package job per other recipient, whose delivery shows as
// sending, then sent (with the hub's receipt) or failed (with the reason, and the
// clerk's Resend of the same package); secret documents are never sent
// electronically. Recalling and replacing queue packages of business type 1 and 3.
//
// Incoming: received → (rejected | registered) → submitted → assigned → in_progress →
// completed → filed, or recalled by the sender. On arrival the signatures of an
// electronic document are checked by the SignatureVerifier when one is configured; a
// document that fails cannot be registered, only returned. The events the exchange
// turns into edXML statuses are explicit (EventArrived 01, EventRejected 02,
// EventRegistered 03, EventAssigned 04, EventInProgress 05, EventCompleted 06): for
// a document handed off on this node they update the sender's tracking at once; for
// one from another installation they queue an exchange.send_status job for its
// sender, in the transaction of the step.
//
// # The exchange's entry points
//
// The exchange (package liaison) calls ReceiveTx with a zero UserID for a package that
// arrived, ApplyStatus for a status package about one of our outgoing documents and
// ApplyRecall for a recall. Its node link works the jobs of the exchange queue
// (QueueExchange: SendPackageArgs, SendStatusArgs) and reports, in the transaction
// that completes each job (river.JobCompleteTx), MarkSent with the hub's receipt,
// MarkFailed when a package used its attempts or was refused, and StatusUndelivered
// for a status that never reached its sender. ExchangeQueueOf shows an agency's
// administrator the queue by state and its latest failures.
//
// # Background work
//
// Jobs gives River (run by the server, periodic jobs on its elected leader node) the
// worker of DOCX conversions and the periodic jobs that stamp pending numbers and
// queue deadline reminders (document_reminders, at most one per assignment and day,
// listed per person by Reminders and dismissed with DismissReminder). Every piece of
// background work is a River job: it retries with exponential backoff, one failing
// job never holds up the ones behind it, and one that used its attempts stays
// visible (to the clerk on the recipient, to the operator in the queue).
//
// # Numbering
//
// Numbers come from a counter row per agency, year and series (one shared outgoing
// series or one per type, chosen per agency; a separate series for secret documents;
// one incoming series), incremented by INSERT … ON CONFLICT DO UPDATE … RETURNING in
// the issuing transaction: a failed issuance rolls its number back, so numbers have no
// gap and no duplicate under any concurrency, and a unique index guards number +
// symbol per year.
//
// # Visibility
//
// A user sees a document of the agency they act in when they drafted or keep it, hold
// an explicit grant, or — for a document that is not secret — hold a role covering all
// documents of its direction, head its unit, or are assigned it. Secret documents are
// seen only by their keeper and by grant (assigning a secret document to a person
// grants it; the keeper — the drafter of a secret draft, the clerk who received a
// secret document — grants it to those who must handle it). The rule is SQL
// (viewer.sql), so lists never load what the user may not see, and every write
// applies it too, in its transaction, when it locks the document (lockDocument): a
// document one cannot read cannot be changed either, and answers "not found". The
// registers apply it as well: an entry the reader may not open shows its number and
// "Mật" only.
//
// # Tracking and changes after sending
//
// The sender follows each recipient of an outgoing document (tracking.go): every
// status it reports is kept in document_recipient_events, and applies only when it
// moves the recipient forward (01 < 03 < 04 < 05 < 06; a return 02 and an accepted
// recall end the delivery); a late one stays in the history marked stale, a repeat
// is recorded once. Local hand-offs and the exchange (ApplyStatusTx) go through the
// same rule. A sender recalls (Recall: local copies are withdrawn at once) or
// updates (Update) a sent document with a reason; recipients outside the node get a
// package of business type 1 or 2 and answer 15 or 16. On the receiving side the
// request waits on the copy (ReceiveChangeTx, document_change_requests) for the
// clerk's AcceptChange or RefuseChange; a copy already handled refuses by itself. A
// replacement (ReceiveInput.ReplacesExternalID, or a local hand-off of a document
// with ReplacesID) moves the copy it replaces to the incoming state replaced.
//
// # Permissions checked (object:action, from package access)
//
//	outgoing:draft     create a draft, revise it, submit it for review
//	outgoing:review    return a draft under review; revise it during review
//	outgoing:approve   approve a draft, submit it for signature (head of its unit)
//	outgoing:sign      sign, or return from signature; also reviews any unit's drafts
//	outgoing:issue     issue the number and date
//	outgoing:seal      apply the agency signature
//	outgoing:send      send to the recipients; update a sent document
//	outgoing:recall    recall a sent document
//	outgoing:read_all  see every non-secret outgoing document of the agency
//	incoming:receive   receive (register a paper document, upload a scan); accept or refuse a sender's recall or update
//	incoming:return    return a document to its sender (status 02)
//	incoming:register  register with the incoming number, submit to the leader
//	incoming:assign    assign chủ trì / phối hợp / để biết with deadlines
//	incoming:assign_unit  name the handler of an assignment to one's unit
//	incoming:handle    report progress, complete
//	incoming:read_all  see every non-secret incoming document of the agency
//	document:read      see documents at all (then the visibility rule applies)
//	record:manage      open records (hồ sơ), file documents into them
//	register:print     read and print the registers
//	report:read        handling statistics
//	secret:read        grant access to a secret document one can see (its keeper may without it)
package docs
