package wire

import (
	"encoding/json"
	"net/http"
)

// WriteJSON answers a request of the protocol with status and v as JSON.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// WriteRefusal answers a request with a refusal: its status and its ErrorBody.
func WriteRefusal(w http.ResponseWriter, ref *Refusal) {
	WriteJSON(w, ref.Status, ref.ErrorBody)
}
