package web

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/gorilla/mux"

	"edms/internal/access"
	"edms/internal/docs"
	"edms/internal/org"
)

const xlsxType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// registerPeriodPath serves a register for any dates (?from=&to=) as PDF or Excel.
const registerPeriodPath = "/registers/{kind}.{format}"

// routeFind declares the pages of search, export and dashboards.
func (s *Server) routeFind(r *mux.Router) {
	s.handle(r, "documents.export", "GET", "/documents/export.xlsx", need(access.DocumentRead), asPage, s.exportDocuments)
	s.handle(r, "registers", "GET", "/registers", need(access.RegisterPrint), asPage, s.registersPage)
	s.handle(r, "register.period", "GET", registerPeriodPath, need(access.RegisterPrint), asPage, s.registerPeriod)
	s.handle(r, "dashboard", "GET", "/dashboard", need(access.ReportRead), asPage, s.dashboardPage)
}

// routeFindAPI declares the same exports and the dashboard's figures in the API.
func (s *Server) routeFindAPI(api *mux.Router) {
	s.handle(api, "api.documents.export", "GET", "/documents/export.xlsx", need(access.DocumentRead), asAPI, s.exportDocuments)
	s.handle(api, "api.register.period", "GET", registerPeriodPath, need(access.RegisterPrint), asAPI, s.registerPeriod)
	s.handle(api, "api.dashboard", "GET", "/dashboard", need(access.ReportRead), asAPI, s.apiDashboard)
}

// exportDocuments sends the list the filters select (every page) as a workbook.
func (s *Server) exportDocuments(w http.ResponseWriter, r *http.Request) error {
	q, err := queryFromRequest(r)
	if err != nil {
		return err
	}
	records, err := s.docs.SearchAll(r.Context(), s.actorOf(r), q)
	if err != nil {
		return docsError(err)
	}
	agency, err := org.AgencyByID(r.Context(), s.pool, principalOf(r).AgencyID)
	if err != nil {
		return err
	}
	title := map[docs.Direction]string{docs.Incoming: "DANH SÁCH VĂN BẢN ĐẾN", docs.Outgoing: "DANH SÁCH VĂN BẢN ĐI"}[q.Direction]
	if title == "" {
		title = "DANH SÁCH VĂN BẢN"
	}
	table := docs.ListTable(agency.Name, title, "Xuất lúc "+time.Now().In(vietnam).Format("15:04 02/01/2006"), records)
	return sendXLSX(w, r, "danh-sach-van-ban.xlsx", table)
}

func sendXLSX(w http.ResponseWriter, r *http.Request, name string, table *docs.Table) error {
	w.Header().Set("Content-Type", xlsxType)
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	return streamBody(w, r, table.WriteXLSX)
}

// periodOf reads ?from= and ?to= (dates); this year up to today when absent.
func periodOf(r *http.Request) (from, to time.Time, err error) {
	now := time.Now().In(vietnam)
	from, to = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, time.UTC), time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	for field, dst := range map[string]*time.Time{"from": &from, "to": &to} {
		d, err := parseDate(field, r.URL.Query().Get(field))
		if err != nil {
			return from, to, err
		}
		if d != nil {
			*dst = *d
		}
	}
	return from, to, nil
}

// registerPeriod prints or exports a register for the dates asked.
func (s *Server) registerPeriod(w http.ResponseWriter, r *http.Request) error {
	from, to, err := periodOf(r)
	if err != nil {
		return err
	}
	kind, format := docs.RegisterKind(mux.Vars(r)["kind"]), mux.Vars(r)["format"]
	if format != "pdf" && format != "xlsx" {
		return errNotFound
	}
	reg, err := s.docs.LoadRegisterPeriod(r.Context(), s.actorOf(r), kind, from, to)
	if err != nil {
		return docsError(err)
	}
	name := fmt.Sprintf("so-%s-%s-%s.%s", kind, from.Format("20060102"), to.Format("20060102"), format)
	if format == "xlsx" {
		return sendXLSX(w, r, name, &reg.Table)
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", fmt.Sprintf("inline; filename=%q", name))
	return streamBody(w, r, func(body io.Writer) error { return reg.WritePDF(body, time.Now()) })
}

// registersView is the page from which a register is printed or exported.
type registersView struct {
	pageBase
	From, To string
	Kinds    []registerChoice
}

type registerChoice struct {
	Kind  docs.RegisterKind
	Label string
}

var registerChoices = []registerChoice{{docs.RegisterIncoming, "Sổ đăng ký văn bản đến"},
	{docs.RegisterOutgoing, "Sổ đăng ký văn bản đi"}, {docs.RegisterFollowUp, "Sổ theo dõi giải quyết văn bản đến"}}

func (s *Server) registersPage(w http.ResponseWriter, r *http.Request) error {
	base, err := s.base(w, r)
	if err != nil {
		return err
	}
	from, to, err := periodOf(r)
	if err != nil {
		return err
	}
	return s.render(w, http.StatusOK, "registers.html", registersView{pageBase: base, From: from.Format("2006-01-02"),
		To: to.Format("2006-01-02"), Kinds: registerChoices})
}
