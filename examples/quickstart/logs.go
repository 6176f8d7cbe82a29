package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/coder/websocket"

	apimodels "github.com/keptn-api/keptn-api/models/api"
)

// logMessage is a sh.keptn.events.log message of the log websocket.
type logMessage struct {
	Data struct {
		Message   string `json:"message"`
		Terminate bool   `json:"terminate"`
		LogLevel  string `json:"loglevel"` // INFO, or ERROR for a failed step
	} `json:"data"`
}

// followLog prints the log lines of a workflow from the log websocket
// <endpoint>/websocket until the message with terminate set, as the keptn
// CLI does after a create or delete command. The server keeps the lines of a
// keptnContext for 15 minutes after the last one, so a listener that
// connects after the workflow finished still receives all of them. For a
// workflow that ended with an ERROR line, it returns that line as the error.
func followLog(ctx context.Context, endpoint string, ec *apimodels.EventContext, out io.Writer) error {
	u, err := url.Parse(endpoint)
	if err != nil {
		return fmt.Errorf("invalid endpoint %q: %w", endpoint, err)
	}
	u.Scheme = strings.Replace(u.Scheme, "http", "ws", 1) // http to ws, https to wss
	u.Path = strings.TrimSuffix(u.Path, "/") + "/websocket"

	// The eventContext token opens the websocket instead of x-token. The
	// channel header makes the connection a listener of the keptnContext.
	// Without it, the connection would be a producer of log messages.
	header := http.Header{}
	header.Set("Token", deref(ec.Token))
	header.Set("Keptn-Ws-Channel-Id", deref(ec.KeptnContext))
	conn, _, err := websocket.Dial(ctx, u.String(), &websocket.DialOptions{HTTPHeader: header})
	if err != nil {
		return fmt.Errorf("open the log websocket %s: %w", u, err)
	}
	defer conn.CloseNow()

	for {
		_, raw, err := conn.Read(ctx)
		if err != nil {
			return fmt.Errorf("log websocket closed before the workflow finished: %w", err)
		}
		var msg logMessage
		if err := json.Unmarshal(raw, &msg); err != nil {
			return fmt.Errorf("invalid log message %s: %w", raw, err)
		}
		fmt.Fprintf(out, "  %s %s\n", msg.Data.LogLevel, msg.Data.Message)
		if !msg.Data.Terminate {
			continue
		}

		// The server closes the connection after the terminating message.
		// Reading its close frame completes the close handshake.
		_, _, err = conn.Read(ctx)
		if status := websocket.CloseStatus(err); status != websocket.StatusNormalClosure {
			return fmt.Errorf("log websocket after the terminating message: %w", err)
		}
		if msg.Data.LogLevel == "ERROR" {
			return errors.New(msg.Data.Message)
		}
		return nil
	}
}
