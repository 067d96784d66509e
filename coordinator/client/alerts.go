package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// RecordAlert records an alert (agent); the leader stamps its ID and time. Like every
// write it is not retried once it may have been applied: on structs.ErrUnknownOutcome
// the alert may or may not exist.
func (c *Client) RecordAlert(ctx context.Context, args structs.AlertRecordArgs) (*structs.CreateResponse, error) {
	var out structs.CreateResponse
	err := c.send(ctx, http.MethodPost, "/v1/alerts", args, &out)
	return &out, err
}

// Alerts lists alerts oldest first: of one experiment (ErrNotFound if it does not
// exist) or of all ("") and, with onlyOpen, only those nobody has acknowledged.
func (c *Client) Alerts(ctx context.Context, experimentID string, onlyOpen bool) ([]structs.Alert, error) {
	q := url.Values{}
	if experimentID != "" {
		q.Set("experiment", experimentID)
	}
	if onlyOpen {
		q.Set("open", "true")
	}
	var out []structs.Alert
	_, err := c.get(ctx, "/v1/alerts", q, &out)
	return out, err
}

// Alert returns one alert.
func (c *Client) Alert(ctx context.Context, id string) (*structs.Alert, error) {
	var out structs.Alert
	_, err := c.get(ctx, "/v1/alerts/"+url.PathEscape(id), nil, &out)
	return &out, err
}

// AckAlert acknowledges an open alert in the token's name (validator); a second
// acknowledgement fails with ErrConflict.
func (c *Client) AckAlert(ctx context.Context, id string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPost, "/v1/alerts/"+url.PathEscape(id)+"/ack", nil, &out)
	return out.Index, err
}
