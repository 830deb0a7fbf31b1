package docs

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestMentionedUsernames(t *testing.T) {
	got := mentionedUsernames("Đề nghị @truongphong.tckh cho ý kiến, cc @chutich. Và @truongphong.tckh lần nữa; thư vanthu@example.com")
	want := []string{"truongphong.tckh", "chutich"}
	if !slices.Equal(got, want) {
		t.Errorf("mentions %v, want %v", got, want)
	}
}

// TestCommentThreadFollowsVisibility: the people who see an incoming document comment
// on it and mention each other; the leader's bút phê and the handler's progress stand
// in the thread; a mention of someone who cannot see it is refused, and someone who
// cannot see it can neither read nor write the thread.
func TestCommentThreadFollowsVisibility(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	ctx := context.Background()
	id := f.receive(t, "Về việc kiểm tra hồ sơ đất đai", "77", nil).DocumentID
	deadline := time.Now().AddDate(0, 0, 7)
	_, err := f.svc.Register(ctx, f.in(f.clerk), id, "")
	must(t, err)
	must(t, f.svc.SubmitToLeader(ctx, f.in(f.clerk), id, ""))
	must(t, f.svc.Assign(ctx, f.in(f.leader), id, []AssignmentInput{{Role: RoleLead, UserID: f.specialist, Deadline: &deadline,
		Note: "Đồng chí Minh chủ trì, báo cáo trước hạn."}}, "Giao Văn phòng xử lý gấp."))
	as, err := Assignments(ctx, f.pool, id)
	must(t, err)
	must(t, f.svc.ReportProgress(ctx, f.in(f.specialist), as[0].ID, 40, "Đã làm việc với xã."))

	commentID, err := f.svc.AddComment(ctx, f.in(f.specialist), id, "Xin ý kiến @chutich và @vanthu về hồ sơ gốc.")
	must(t, err)
	if commentID == 0 {
		t.Fatal("no comment id")
	}
	var notified []int64
	rows, err := f.pool.Query(ctx, `SELECT user_id FROM notifications WHERE document_id = $1 AND kind = 'mention' AND read_at IS NULL ORDER BY user_id`, id)
	must(t, err)
	for rows.Next() {
		var u int64
		must(t, rows.Scan(&u))
		notified = append(notified, u)
	}
	must(t, rows.Err())
	if want := []int64{f.clerk, f.leader}; !slices.Equal(notified, want) && !slices.Equal(notified, []int64{f.leader, f.clerk}) {
		t.Errorf("notified %v, want %v", notified, want)
	}

	thread, err := f.svc.Thread(ctx, f.in(f.leader), id)
	must(t, err)
	kinds := map[ThreadKind][]string{}
	for _, e := range thread {
		kinds[e.Kind] = append(kinds[e.Kind], e.Text)
	}
	if !slices.Contains(kinds[ThreadDirection], "Giao Văn phòng xử lý gấp.") || !slices.Contains(kinds[ThreadDirection], "Đồng chí Minh chủ trì, báo cáo trước hạn.") {
		t.Errorf("directions %q", kinds[ThreadDirection])
	}
	if !slices.Equal(kinds[ThreadProgress], []string{"Đã làm việc với xã."}) {
		t.Errorf("progress %q", kinds[ThreadProgress])
	}
	if len(kinds[ThreadComment]) != 1 || thread[len(thread)-1].Kind != ThreadComment {
		t.Errorf("comments %q, thread %+v", kinds[ThreadComment], thread)
	}

	_, err = f.svc.AddComment(ctx, f.in(f.specialist), id, "Nhờ @cvtuphap xem giúp.")
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("mentioning someone who cannot see the document: %v", err)
	}
	_, err = f.svc.AddComment(ctx, f.in(f.specialist), id, "Nhờ @khongco.ai xem giúp.")
	if !errors.Is(err, ErrInvalid) {
		t.Errorf("mentioning nobody: %v", err)
	}
	if _, err := f.svc.AddComment(ctx, f.in(f.tpSpecialist), id, "Tôi cũng muốn góp ý."); !errors.Is(err, ErrNotFound) {
		t.Errorf("an outsider comments: %v", err)
	}
	if _, err := f.svc.Thread(ctx, Actor{UserID: f.communeClerk, AgencyID: f.commune}, id); !errors.Is(err, ErrNotFound) {
		t.Errorf("another agency reads the thread: %v", err)
	}
	if _, err := f.svc.AddComment(ctx, f.in(f.specialist), id, "   "); !errors.Is(err, ErrInvalid) {
		t.Errorf("an empty comment: %v", err)
	}
}
