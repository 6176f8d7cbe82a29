package server_test

import (
	"net/http"
	"testing"
)

// TestConfigOpenItemsNeedIDs posts approvals and remediations without an
// eventId or keptnContext, which could never be closed, and checks the 400
// that names the field and that nothing is stored.
func TestConfigOpenItemsNeedIDs(t *testing.T) {
	t.Parallel()
	s := startConfigServer(t)
	const p = "openids"
	s.createProject(t, p, "dev")
	s.createService(t, p, "carts", "dev")
	service := "/project/" + p + "/stage/dev/service/carts"

	cases := []struct {
		name, kind, body, message string
	}{
		{"approval empty object", "approval", `{}`, "invalid approval: eventId is missing or empty"},
		{"approval null", "approval", `null`, "invalid approval: eventId is missing or empty"},
		{"approval blank eventId", "approval", `{"eventId":" ","keptnContext":"c-1"}`, "invalid approval: eventId is missing or empty"},
		{"approval without keptnContext", "approval", `{"eventId":"a-1"}`, `invalid approval "a-1": keptnContext is missing or empty`},
		{"remediation empty object", "remediation", `{}`, "invalid remediation: eventId is missing or empty"},
		{"remediation null", "remediation", `null`, "invalid remediation: eventId is missing or empty"},
		{"remediation without keptnContext", "remediation", `{"eventId":"r-1","keptnContext":""}`, `invalid remediation "r-1": keptnContext is missing or empty`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := s.send(t, http.MethodPost, configBase+service+"/"+c.kind, c.body)
			checkError(t, r, http.StatusBadRequest, http.StatusBadRequest, c.message)
		})
	}

	svc := s.getService(t, p, "dev", "carts")
	if string(svc.OpenApprovals) != "null" {
		t.Errorf("openApprovals = %s, want null", svc.OpenApprovals)
	}
	if string(svc.OpenRemediations) != "null" {
		t.Errorf("openRemediations = %s, want null", svc.OpenRemediations)
	}
}
