package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"
	"gotest.tools/v3/assert"
	is "gotest.tools/v3/assert/cmp"
)

func attr(key string, v *commonpb.AnyValue) *commonpb.KeyValue {
	return &commonpb.KeyValue{Key: key, Value: v}
}

func str(s string) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: s}}
}

func boolean(b bool) *commonpb.AnyValue {
	return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: b}}
}

// export is a request with the given spans, in one resource and scope.
func export(spans ...*tracepb.Span) []byte {
	b, err := proto.Marshal(&coltracepb.ExportTraceServiceRequest{
		ResourceSpans: []*tracepb.ResourceSpans{{ScopeSpans: []*tracepb.ScopeSpans{{Spans: spans}}}},
	})
	if err != nil {
		panic(err)
	}
	return b
}

func post(t *testing.T, url string, body []byte) {
	t.Helper()
	resp, err := http.Post(url+"/v1/traces", "application/x-protobuf", bytes.NewReader(body))
	assert.NilError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, resp.StatusCode, http.StatusOK)
}

func TestCountsCallsOnce(t *testing.T) {
	r := newReceiver()
	srv := httptest.NewServer(r.handler(2))
	defer srv.Close()

	trace := []byte("0123456789abcdef")
	call := func(id byte, name string, attrs ...*commonpb.KeyValue) *tracepb.Span {
		return &tracepb.Span{TraceId: trace, SpanId: []byte{0, 0, 0, 0, 0, 0, 0, id}, Name: name,
			Attributes: append([]*commonpb.KeyValue{attr(callAttr, str("encoded call"))}, attrs...)}
	}
	// the first export: three calls (one already cached) and a span that is
	// not a call
	post(t, srv.URL, export(
		call(1, "Query.container"),
		call(2, "Container.from", attr(cachedAttr, boolean(true))),
		call(3, "Container.withExec"),
		&tracepb.Span{TraceId: trace, SpanId: []byte{0, 0, 0, 0, 0, 0, 0, 4}, Name: "exec pytest"},
	))
	// the second: call 3 again, now finished and cached, and call 1 unchanged,
	// and one new internal call
	post(t, srv.URL, export(
		call(3, "Container.withExec", attr(cachedAttr, boolean(true))),
		call(1, "Query.container"),
		call(5, "Container.withExec", attr(internalAttr, boolean(true))),
	))

	got := r.summary(2)
	assert.DeepEqual(t, got, Summary{
		Received: 7, Spans: 5, Calls: 4, Cached: 2, Internal: 1,
		Top: []NameCount{{"Container.withExec", 2}, {"Container.from", 1}},
	})

	resp, err := http.Get(srv.URL + "/summary")
	assert.NilError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	assert.NilError(t, err)
	assert.Equal(t, string(body), "received 7\nspans 5\ncalls 4\ncached 2\nuncached 2\ninternal 1\n"+
		"top 2 Container.withExec\ntop 1 Container.from\n")
}

func TestRejectsJSON(t *testing.T) {
	srv := httptest.NewServer(newReceiver().handler(10))
	defer srv.Close()
	resp, err := http.Post(srv.URL+"/v1/traces", "application/json", bytes.NewReader([]byte("{}")))
	assert.NilError(t, err)
	resp.Body.Close()
	assert.Check(t, is.Equal(resp.StatusCode, http.StatusUnsupportedMediaType))
}
