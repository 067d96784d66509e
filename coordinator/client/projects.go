package client

import (
	"context"
	"net/http"
	"net/url"

	"github.com/dxtrain/dxtrain/coordinator/structs"
)

// Projects lists every project with what it holds now.
func (c *Client) Projects(ctx context.Context) ([]structs.ProjectStatus, error) {
	var out []structs.ProjectStatus
	_, err := c.get(ctx, "/v1/projects", nil, &out)
	return out, err
}

// Project returns one project with what it holds now.
func (c *Client) Project(ctx context.Context, name string) (*structs.ProjectStatus, error) {
	var out structs.ProjectStatus
	_, err := c.get(ctx, "/v1/projects/"+url.PathEscape(name), nil, &out)
	return &out, err
}

// SetProject creates or replaces a project (admin).
func (c *Client) SetProject(ctx context.Context, name string, req structs.ProjectSetRequest) (*structs.ProjectSetResponse, error) {
	var out structs.ProjectSetResponse
	err := c.send(ctx, http.MethodPut, "/v1/projects/"+url.PathEscape(name), req, &out)
	return &out, err
}

// DeleteProject deletes a project no live experiment belongs to (admin).
func (c *Client) DeleteProject(ctx context.Context, name string) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodDelete, "/v1/projects/"+url.PathEscape(name), nil, &out)
	return out.Index, err
}

// PriorityClasses lists the priority classes, highest first.
func (c *Client) PriorityClasses(ctx context.Context) ([]structs.PriorityClass, error) {
	var out []structs.PriorityClass
	_, err := c.get(ctx, "/v1/priority-classes", nil, &out)
	return out, err
}

// SetPriorityClass creates or replaces a priority class (admin).
func (c *Client) SetPriorityClass(ctx context.Context, name string, req structs.PriorityClassSetRequest) (uint64, error) {
	var out structs.WriteResponse
	err := c.send(ctx, http.MethodPut, "/v1/priority-classes/"+url.PathEscape(name), req, &out)
	return out.Index, err
}

// Queue returns the leader's last scheduling pass: every pending experiment in
// order, why it waits and when it is expected to start.
func (c *Client) Queue(ctx context.Context) (*structs.QueueResponse, error) {
	var out structs.QueueResponse
	_, err := c.get(ctx, "/v1/queue", nil, &out)
	return &out, err
}
