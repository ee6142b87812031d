// Command spancount is a tiny OTLP trace receiver that counts the Dagger API
// calls of one dagger CLI run, for hack/bench-ship. Point the CLI at it with
//
//	OTEL_EXPORTER_OTLP_TRACES_ENDPOINT=http://127.0.0.1:PORT/v1/traces
//
// (dagger's default OTLP protocol is http/protobuf, the one served here; the
// CLI forwards the engine's spans to that exporter). It keeps each span once,
// by trace and span id, however often it arrives, and on SIGTERM/SIGINT
// prints a summary to stdout; GET /summary returns the same summary.
//
// An API call is a span with the attribute dagger.io/dag.call (set by the
// engine's core/telemetry.go on every dagql call it shows); it was cached
// when it also has dagger.io/dag.cached=true.
//
//	spancount [-addr 127.0.0.1:0] [-top 10]
//
// prints "spancount: listening on http://ADDR" on stderr once it accepts.
package main

import (
	"compress/gzip"
	"context"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sort"
	"strings"
	"sync"
	"syscall"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"
)

// The attributes the dagger engine sets on its call spans
// (github.com/dagger/otel-go attrs.go, set in dagger's core/telemetry.go).
const (
	callAttr     = "dagger.io/dag.call"
	cachedAttr   = "dagger.io/dag.cached"
	internalAttr = "dagger.io/ui.internal"
)

// span is what is kept of one span: merged over every copy received.
type span struct {
	name                   string
	call, cached, internal bool
}

// receiver holds the spans received so far, by trace id and span id.
type receiver struct {
	mu       sync.Mutex
	spans    map[string]*span
	received int // span copies, duplicates included
}

func newReceiver() *receiver { return &receiver{spans: map[string]*span{}} }

// add records the spans of one export request; a span seen before is merged
// (an attribute set on any copy counts), not counted again.
func (r *receiver) add(req *coltracepb.ExportTraceServiceRequest) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, rs := range req.GetResourceSpans() {
		for _, ss := range rs.GetScopeSpans() {
			for _, s := range ss.GetSpans() {
				r.received++
				id := string(s.GetTraceId()) + string(s.GetSpanId())
				kept, ok := r.spans[id]
				if !ok {
					kept = &span{}
					r.spans[id] = kept
				}
				kept.name = s.GetName()
				for _, kv := range s.GetAttributes() {
					switch kv.GetKey() {
					case callAttr:
						kept.call = true
					case cachedAttr:
						kept.cached = kept.cached || kv.GetValue().GetBoolValue()
					case internalAttr:
						kept.internal = kept.internal || kv.GetValue().GetBoolValue()
					}
				}
			}
		}
	}
}

// Summary is the count of the spans received.
type Summary struct {
	Received int // span copies received, duplicates included
	Spans    int // distinct spans
	Calls    int // of which Dagger API calls
	Cached   int // of the calls, cached
	Internal int // of the calls, internal to the engine or an SDK (hidden in the TUI)
	Top      []NameCount
}

// NameCount is a call name (Type.field) and how many calls had it.
type NameCount struct {
	Name  string
	Count int
}

// summary counts the spans received, with the top most frequent call names.
func (r *receiver) summary(top int) Summary {
	r.mu.Lock()
	defer r.mu.Unlock()
	sum := Summary{Received: r.received, Spans: len(r.spans)}
	byName := map[string]int{}
	for _, s := range r.spans {
		if !s.call {
			continue
		}
		sum.Calls++
		byName[s.name]++
		if s.cached {
			sum.Cached++
		}
		if s.internal {
			sum.Internal++
		}
	}
	for name, n := range byName {
		sum.Top = append(sum.Top, NameCount{name, n})
	}
	sort.Slice(sum.Top, func(i, j int) bool {
		a, b := sum.Top[i], sum.Top[j]
		return a.Count > b.Count || a.Count == b.Count && a.Name < b.Name
	})
	if len(sum.Top) > top {
		sum.Top = sum.Top[:top]
	}
	return sum
}

// String is the summary as the lines bench-ship reads: "key value", then the
// top call names as "top COUNT NAME".
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "received %d\nspans %d\ncalls %d\ncached %d\nuncached %d\ninternal %d\n",
		s.Received, s.Spans, s.Calls, s.Cached, s.Calls-s.Cached, s.Internal)
	for _, nc := range s.Top {
		fmt.Fprintf(&b, "top %d %s\n", nc.Count, nc.Name)
	}
	return b.String()
}

// handler serves POST /v1/traces (OTLP/HTTP, binary protobuf) and GET /summary.
func (r *receiver) handler(top int) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/traces", func(w http.ResponseWriter, req *http.Request) {
		if ct := req.Header.Get("Content-Type"); ct != "application/x-protobuf" {
			http.Error(w, "only application/x-protobuf, not "+ct, http.StatusUnsupportedMediaType)
			return
		}
		var body io.Reader = req.Body
		if req.Header.Get("Content-Encoding") == "gzip" { // OTEL_EXPORTER_OTLP_COMPRESSION=gzip
			zr, err := gzip.NewReader(req.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		data, err := io.ReadAll(body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var export coltracepb.ExportTraceServiceRequest
		if err := proto.Unmarshal(data, &export); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.add(&export)
		resp, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		w.Header().Set("Content-Type", "application/x-protobuf")
		w.Write(resp)
	})
	mux.HandleFunc("GET /summary", func(w http.ResponseWriter, req *http.Request) {
		io.WriteString(w, r.summary(top).String())
	})
	return mux
}

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	top := flag.Int("top", 10, "how many of the most frequent call names to list")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("spancount: ")

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatal(err)
	}
	r := newReceiver()
	srv := &http.Server{Handler: r.handler(*top)}
	go srv.Serve(ln)
	log.Printf("listening on http://%s", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	<-ctx.Done()
	srv.Shutdown(context.Background()) // lets an export in flight finish
	fmt.Print(r.summary(*top))
}
