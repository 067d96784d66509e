package structs

// ServerMember maps a Raft server ID to the HTTP address followers forward to. It is
// replicated so that every server can find the leader's HTTP API.
type ServerMember struct {
	ID          string `json:"id"`
	RaftAddr    string `json:"raft_addr"`
	HTTPAddr    string `json:"http_addr"`
	CreateIndex uint64 `json:"create_index"`
	ModifyIndex uint64 `json:"modify_index"`
}

// ServerMemberUpsertRequest records or updates a server's addresses.
type ServerMemberUpsertRequest struct {
	WriteRequest
	Member ServerMember `json:"member"`
}

// ServerMemberDeleteRequest forgets a removed server.
type ServerMemberDeleteRequest struct {
	WriteRequest
	ID string `json:"id"`
}
