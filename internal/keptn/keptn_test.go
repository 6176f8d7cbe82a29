package keptn

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestResolveContext(t *testing.T) {
	cases := []struct{ in, want string }{
		{"abc", "61626320-2020-4020-a020-202020202020"},
		{"my-build-12345678", "6d792d62-7569-4c64-ad31-323334353637"},
		{"c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90", "c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90"},
		{"{c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90}", "{c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90}"},
		{"urn:uuid:c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90", "urn:uuid:c8e2a4f1-3b6d-4f0a-8e57-2d9b1c6a4e90"},
		{"c8e2a4f13b6d4f0a8e572d9b1c6a4e90", "c8e2a4f13b6d4f0a8e572d9b1c6a4e90"},
	}
	for _, c := range cases {
		if got := ResolveContext(c.in); got != c.want {
			t.Errorf("ResolveContext(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestResolveContextEmptyIsRandom(t *testing.T) {
	a, b := ResolveContext(""), ResolveContext("")
	if a == b || len(a) != 36 {
		t.Errorf("two new contexts: %q and %q", a, b)
	}
}

func TestInvalidatedType(t *testing.T) {
	cases := map[string]string{
		"sh.keptn.events.evaluation-done":    "sh.keptn.events.evaluation.invalidated",
		"sh.keptn.event.evaluation.finished": "sh.keptn.event.evaluation.invalidated",
		"plain":                              "invalidated",
	}
	for in, want := range cases {
		if got := InvalidatedType(in); got != want {
			t.Errorf("InvalidatedType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTokenSignAndVerify(t *testing.T) {
	signer, err := NewTokenSigner("secret")
	if err != nil {
		t.Fatal(err)
	}
	token, err := signer.Sign(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := signer.Verify(token); err != nil {
		t.Errorf("Verify(fresh token) = %v", err)
	}
	other, _ := NewTokenSigner("other")
	if err := other.Verify(token); err == nil {
		t.Error("Verify with another key succeeded")
	}
	expired, _ := signer.Sign(time.Now().Add(-TokenLifetime - time.Minute))
	if err := signer.Verify(expired); err == nil {
		t.Error("Verify(expired token) succeeded")
	}
}

func TestDataScope(t *testing.T) {
	p, s, svc := DataScope(json.RawMessage(`{"project":"sockshop","stage":"dev","service":3,"x":{"project":"no"}}`))
	if p != "sockshop" || s != "dev" || svc != "" {
		t.Errorf("DataScope = %q %q %q", p, s, svc)
	}
	if p, _, _ := DataScope(json.RawMessage(`"sockshop"`)); p != "" {
		t.Errorf("DataScope(string) project = %q", p)
	}
}

func TestWithEventContext(t *testing.T) {
	ec := EventContext{KeptnContext: "ctx", Token: "tok"}
	cases := map[string]string{
		`{}`:                                   `{"eventContext":{"keptnContext":"ctx","token":"tok"}}`,
		`{"b":1,"a":[1,{"x":"}"}]}`:            `{"b":1,"a":[1,{"x":"}"}],"eventContext":{"keptnContext":"ctx","token":"tok"}}`,
		` { "eventContext" : 5 , "z": null } `: `{"z": null,"eventContext":{"keptnContext":"ctx","token":"tok"}}`,
	}
	for in, want := range cases {
		got, err := WithEventContext(json.RawMessage(in), ec)
		if err != nil {
			t.Errorf("WithEventContext(%s): %v", in, err)
			continue
		}
		if string(got) != want {
			t.Errorf("WithEventContext(%s) = %s, want %s", in, got, want)
		}
	}
	if _, err := WithEventContext(json.RawMessage(`[1]`), ec); err == nil {
		t.Error("WithEventContext(array) succeeded")
	}
}

func TestScrubEventContext(t *testing.T) {
	cases := map[string]string{
		`{"a":1}`: `{"a":1}`,
		`{"eventContext":{"keptnContext":"c","token":"t"},"a":"eventContext"}`: `{"eventContext":null,"a":"eventContext"}`,
		`{"x":[{"eventContext" : "s\"}"}],"y":{"eventContext":[1,[2]]}}`:       `{"x":[{"eventContext" : null}],"y":{"eventContext":null}}`,
		`{"\u0065ventContext":true}`:                                           `{"\u0065ventContext":null}`,
		`["eventContext"]`:                                                     `["eventContext"]`,
	}
	for in, want := range cases {
		if got := string(ScrubEventContext(json.RawMessage(in))); got != want {
			t.Errorf("ScrubEventContext(%s) = %s, want %s", in, got, want)
		}
	}
}

// scrubReference replaces eventContext members through a full decode.
func scrubReference(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			if k == eventContextKey {
				x[k] = nil
			} else {
				x[k] = scrubReference(e)
			}
		}
	case []any:
		for i, e := range x {
			x[i] = scrubReference(e)
		}
	}
	return v
}

func FuzzScrubEventContext(f *testing.F) {
	f.Add(`{"eventContext":{"a":[1,2,"]"]},"b":{"eventContext":"x"}}`)
	f.Add(`[{"eventContext":null},"eventContext",{"c":{"eventContext":{}}}]`)
	f.Add(`{"a\"eventContext":1}`)
	f.Fuzz(func(t *testing.T, in string) {
		var want any
		if json.Unmarshal([]byte(in), &want) != nil {
			return
		}
		out := ScrubEventContext(json.RawMessage(in))
		var got any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("scrubbed %q into invalid JSON %q: %v", in, out, err)
		}
		if !reflect.DeepEqual(got, scrubReference(want)) {
			t.Fatalf("ScrubEventContext(%q) = %q", in, out)
		}
		if !strings.Contains(in, eventContextKey) && string(out) != in {
			t.Fatalf("input without the key changed: %q", out)
		}
	})
}
