package web

import (
	"io/fs"
	"net/http"

	"github.com/gorilla/mux"

	"edms/internal/access"
)

// routes declares every route of the node with its permission rule.
func (s *Server) routes(r *mux.Router) {
	s.handle(r, "healthz", "GET", "/healthz", public, asAPI, s.healthz)
	static, _ := fs.Sub(staticFS, "static")
	s.guards["static"] = public
	r.PathPrefix("/static/").Handler(http.StripPrefix("/static/", http.FileServerFS(static))).Name("static")

	// Pages.
	s.handle(r, "login.form", "GET", "/login", public, asPage, s.loginForm)
	s.handle(r, "login", "POST", "/login", public, asPage, s.login)
	s.handle(r, "logout", "POST", "/logout", need(access.HomeView), asPage, s.logout)
	s.handle(r, "home", "GET", "/", need(access.HomeView), asPage, s.home)
	s.handle(r, "agency.switch", "POST", "/agency", need(access.HomeView), asPage, s.switchAgency)
	s.routeDocumentPages(r)
	s.routeAssign(r)
	s.routeComments(r)
	s.routeRecords(r)
	s.routeInternal(r)
	s.routeViewer(r)
	s.routeFind(r)
	s.routeDrafting(r)
	s.routeDelegation(r)
	s.routePersonalSign(r)
	s.routeSigningSettings(r)
	s.handle(r, "exchange.queue", "GET", "/exchange/queue", need(access.OrgManage), asPage, s.exchangeQueuePage)
	s.routeAdmin(r)
	s.routeAdminKeys(r)
	s.routeAdminTrust(r)
	s.routeAccount(r)
	s.routeNotifications(r)
	s.routeAuditPage(r)

	// JSON API.
	api := r.PathPrefix("/api/v1").Subrouter()
	s.handle(api, "api.openapi", "GET", "/openapi.json", public, asAPI, serveOpenAPI)
	s.handle(api, "api.me", "GET", "/me", need(access.HomeView), asAPI, s.apiMe)
	s.handle(api, "api.agencies", "GET", "/agencies", need(access.OrgRead), asAPI, s.apiAgencies)
	s.handle(api, "api.units", "GET", "/agencies/{organID}/units", need(access.OrgRead), asAPI, s.apiUnits)
	s.handle(api, "api.users", "GET", "/users", need(access.UserRead), asAPI, s.apiUsers)
	s.handle(api, "api.users.create", "POST", "/users", need(access.UserAdmin), asAPI, s.apiCreateUser)
	s.handle(api, "api.audit.verify", "GET", "/audit/verify", need(access.AuditRead), asAPI, s.apiAuditVerify)
	s.handle(api, "api.exchange.queue", "GET", "/exchange/queue", need(access.OrgManage), asAPI, s.apiExchangeQueue)
	s.routeDocumentsAPI(api)
	s.routeAssignAPI(api)
	s.routeInboxAPI(api)
	s.routeCommentsAPI(api)
	s.routeRecordsAPI(api)
	s.routeInternalAPI(api)
	s.routeViewerAPI(api)
	s.routeFindAPI(api)
	s.routeAdminAPI(api)
	s.routeAdminTrustAPI(api)
	s.routeAccountAPI(api)
	s.routeNotificationsAPI(api)
	s.routeAuditAPI(api)
	s.routeDraftingAPI(api)
	s.routeDelegationAPI(api)
	s.routePersonalSignAPI(api)
}
