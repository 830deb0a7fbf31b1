package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"edms/internal/docs"
)

// The figures the district reported in the seed article (Phú Lương, 20/8): the
// dashboard draws them as reference lines beside the agency's own shares.
const (
	seedOnlineShare    = 91.0 // hồ sơ xử lý trực tuyến
	seedFullOnline     = 99.0 // trực tuyến toàn trình
	seedDigitisedShare = 96.8 // số hóa hồ sơ, kết quả
)

// Geometry of the charts, drawn as SVG on the server (viewBox units).
const (
	chartWidth  = 640.0
	labelWidth  = 210.0
	valueWidth  = 70.0
	rowHeight   = 26.0
	barHeight   = 16.0
	plotHeight  = 180.0
	axisHeight  = 24.0
	monthsWidth = chartWidth - 40

	maxLabelRunes = 32 // what fits left of the bars at the charts' font size
)

// hbar is one row of a horizontal bar chart, a link to the documents it counts.
type hbar struct {
	Label, Value, Href string
	Y, Width           float64
}

// TextY is the baseline of the row's label and value; BarY the top of its bar;
// ValueX where the value is written, after the bar.
func (b hbar) TextY() float64  { return b.Y + 17 }
func (b hbar) BarY() float64   { return b.Y + (rowHeight-barHeight)/2 }
func (b hbar) ValueX() float64 { return labelWidth + b.Width + 6 }

// hbarChart is a horizontal bar chart, with an optional reference line.
type hbarChart struct {
	Title, Empty string
	Bars         []hbar
	Height       float64
	Reference    *reference
}

// reference is a target drawn across a share chart.
type reference struct {
	X     float64
	Label string
}

// BarX is where the bars start, LabelX where the labels end.
func (hbarChart) BarX() float64   { return labelWidth }
func (hbarChart) LabelX() float64 { return labelWidth - 8 }

// barLength scales a value to the chart's bar span.
func barLength(value, maximum float64) float64 {
	if maximum <= 0 {
		return 0
	}
	return value / maximum * (chartWidth - labelWidth - valueWidth)
}

func newHbarChart(title, empty string, bars []hbar) hbarChart {
	for i := range bars {
		bars[i].Y = float64(i) * rowHeight
		if label := []rune(bars[i].Label); len(label) > maxLabelRunes {
			bars[i].Label = string(label[:maxLabelRunes-1]) + "…"
		}
	}
	return hbarChart{Title: title, Empty: empty, Bars: bars, Height: max(float64(len(bars))*rowHeight, rowHeight)}
}

// monthBar is one month's pair of bars, each a link to the month's list.
type monthBar struct {
	Label                 string
	X, Width              float64
	InY, InH, OutY, OutH  float64
	Incoming, Outgoing    int
	IncomingHref, OutHref string
}

// OutX is where the month's outgoing bar starts; LabelX the middle of the pair.
func (b monthBar) OutX() float64   { return b.X + b.Width }
func (b monthBar) LabelX() float64 { return b.X + b.Width }

// monthChart is documents in and out per month.
type monthChart struct {
	Bars   []monthBar
	Max    int
	Height float64
}

func newMonthChart(months []docs.MonthCount, from, to time.Time) monthChart {
	c := monthChart{Height: plotHeight + axisHeight}
	for _, m := range months {
		c.Max = max(c.Max, m.Incoming, m.Outgoing, 1)
	}
	slot := monthsWidth / float64(max(len(months), 1))
	scale := func(n int) float64 { return float64(n) / float64(c.Max) * plotHeight }
	for i, m := range months {
		first, last := m.Month, m.Month.AddDate(0, 1, -1)
		first, last = latest(first, from), earliest(last, to)
		b := monthBar{Label: "T" + strconv.Itoa(int(m.Month.Month())), X: 40 + float64(i)*slot, Width: slot * 0.38,
			Incoming: m.Incoming, Outgoing: m.Outgoing, InH: scale(m.Incoming), OutH: scale(m.Outgoing),
			IncomingHref: listLink(docs.Incoming, "from", first.Format("2006-01-02"), "to", last.Format("2006-01-02")),
			OutHref:      listLink(docs.Outgoing, "from", first.Format("2006-01-02"), "to", last.Format("2006-01-02"))}
		b.InY, b.OutY = plotHeight-b.InH, plotHeight-b.OutH
		c.Bars = append(c.Bars, b)
	}
	return c
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earliest(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// listLink is the document list of a direction with filters (name, value pairs).
func listLink(dir docs.Direction, pairs ...string) string {
	v := url.Values{"direction": {string(dir)}}
	for i := 0; i+1 < len(pairs); i += 2 {
		v.Set(pairs[i], pairs[i+1])
	}
	return "/documents?" + v.Encode()
}

// dashboardView is the leaders' dashboard.
type dashboardView struct {
	pageBase
	From, To string
	Total    docs.HandlingStats
	Months   monthChart
	Charts   []hbarChart
}

func (s *Server) dashboardPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	from, to, err := periodOf(r)
	if err != nil {
		return err
	}
	d, err := s.docs.Dashboard(r.Context(), s.actorOf(r), from, to)
	if err != nil {
		return docsError(err)
	}
	agencyID := principalOf(r).AgencyID
	units, err := unitNames(r.Context(), s.pool, agencyID)
	if err != nil {
		return err
	}
	people, err := userNames(r.Context(), s.pool, agencyID)
	if err != nil {
		return err
	}
	view := dashboardView{pageBase: base, From: from.Format("2006-01-02"), To: to.Format("2006-01-02"),
		Total: d.Handling.Total, Months: newMonthChart(d.Months, from, to), Charts: []hbarChart{
			onTimeChart("Tỷ lệ xử lý đúng hạn theo đơn vị", d.Handling.Units, units, "unit", func(h docs.HandlingStats) int64 { return h.UnitID }),
			onTimeChart("Tỷ lệ xử lý đúng hạn theo cá nhân", d.Handling.Persons, people, "assignee", func(h docs.HandlingStats) int64 { return h.UserID }),
			sharesChart(d.Handling.Total),
			overdueChart(d.Overdue, units),
		}}
	return s.render(w, http.StatusOK, "dashboard.html", view)
}

// onTimeChart draws the on-time share of each unit or person, linking to their list.
func onTimeChart(title string, rows []docs.HandlingStats, names map[int64]string, filter string, id func(docs.HandlingStats) int64) hbarChart {
	var bars []hbar
	for _, h := range rows {
		if id(h) == 0 {
			continue
		}
		bars = append(bars, hbar{Label: nameOr(names, id(h)), Value: percentLabel(h.OnTimeShare()),
			Width: barLength(h.OnTimeShare(), 100), Href: listLink(docs.Incoming, filter, strconv.FormatInt(id(h), 10))})
	}
	return newHbarChart(title, "Chưa có văn bản được giao trong kỳ.", bars)
}

// sharesChart draws the online and digitised shares against the seed article's figures.
func sharesChart(total docs.HandlingStats) hbarChart {
	c := newHbarChart("Tỷ lệ xử lý trên môi trường mạng và số hóa", "", []hbar{
		{Label: "Xử lý trên môi trường mạng", Value: percentLabel(total.OnlineShare()), Width: barLength(total.OnlineShare(), 100),
			Href: "/statistics"},
		{Label: "Được số hóa", Value: percentLabel(total.DigitisedShare()), Width: barLength(total.DigitisedShare(), 100),
			Href: "/statistics"},
	})
	c.Reference = &reference{X: labelWidth + barLength(seedOnlineShare, 100),
		Label: fmt.Sprintf("Phú Lương: trực tuyến %s, toàn trình %s, số hóa %s", percentLabel(seedOnlineShare),
			percentLabel(seedFullOnline), percentLabel(seedDigitisedShare))}
	return c
}

// overdueChart draws the documents overdue now in each unit, linking to that list.
func overdueChart(counts []docs.UnitCount, names map[int64]string) hbarChart {
	most := 0
	for _, c := range counts {
		most = max(most, c.Count)
	}
	var bars []hbar
	for _, c := range counts {
		bars = append(bars, hbar{Label: nameOr(names, c.UnitID), Value: strconv.Itoa(c.Count), Width: barLength(float64(c.Count), float64(most)),
			Href: listLink(docs.Incoming, "unit", strconv.FormatInt(c.UnitID, 10), "deadline", string(docs.DeadlineOverdue))})
	}
	return newHbarChart("Văn bản quá hạn theo đơn vị", "Không có văn bản quá hạn.", bars)
}

func nameOr(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "#" + strconv.FormatInt(id, 10)
}

// percentLabel writes a share the Vietnamese way: "96,8%".
func percentLabel(v float64) string { return strings.Replace(fmt.Sprintf("%.1f%%", v), ".", ",", 1) }

// apiDashboard answers the dashboard's figures as JSON.
func (s *Server) apiDashboard(w http.ResponseWriter, r *http.Request) error {
	from, to, err := periodOf(r)
	if err != nil {
		return err
	}
	d, err := s.docs.Dashboard(r.Context(), s.actorOf(r), from, to)
	if err != nil {
		return docsError(err)
	}
	type month struct {
		Month    string `json:"month"`
		Incoming int    `json:"incoming"`
		Outgoing int    `json:"outgoing"`
	}
	type unit struct {
		UnitID  int64 `json:"unit_id"`
		Overdue int   `json:"overdue"`
	}
	months := make([]month, 0, len(d.Months))
	for _, m := range d.Months {
		months = append(months, month{m.Month.Format("2006-01"), m.Incoming, m.Outgoing})
	}
	overdue := make([]unit, 0, len(d.Overdue))
	for _, u := range d.Overdue {
		overdue = append(overdue, unit{u.UnitID, u.Count})
	}
	writeJSON(w, http.StatusOK, map[string]any{"from": from.Format("2006-01-02"), "to": to.Format("2006-01-02"),
		"months": months, "overdue_by_unit": overdue, "on_time_share": d.Handling.Total.OnTimeShare(),
		"online_share": d.Handling.Total.OnlineShare(), "digitised_share": d.Handling.Total.DigitisedShare()})
	return nil
}
