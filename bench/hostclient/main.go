// Command hostclient is the benchmark's stand-in for the Pulumi engine's side of the provider protocol: a Go gRPC
// client (the engine is Go) that drives the SDK's dynamic provider host with N resources at a time, with the
// engine's parallelism. bench/run.ts starts it and sends it one job per line on stdin, as JSON; it answers each
// with one line of JSON on stdout. Jobs (every object i of the current set at most `concurrency` at a time):
//
//	{"job":"connect","addr":"127.0.0.1:port","config":{...}}    dial the host and Configure it
//	{"job":"create","urns":[...],"props":[...],"concurrency":C}  Check then Create; keeps each object's id, inputs, outputs
//	{"job":"read","concurrency":C}                               Read each object, keeps its outputs
//	{"job":"diff","props":[...],"concurrency":C}                 Check then Diff against the kept outputs; counts changes
//	{"job":"delete","concurrency":C}                             Delete each object
//	{"job":"checks","urns":[urn],"props":[props],"count":M}      M Checks of one property bag, one after another
//
// Each answer is {"ms": <wall time of the job in this process>, "changes": n} or {"error": "..."}. Property bags
// arrive as JSON with secrets already unwrapped (the host does not accept secrets, so the engine strips them).
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/structpb"
)

type job struct {
	Job         string                   `json:"job"`
	Addr        string                   `json:"addr"`
	Config      map[string]interface{}   `json:"config"`
	Urns        []string                 `json:"urns"`
	Props       []map[string]interface{} `json:"props"`
	Concurrency int                      `json:"concurrency"`
	Count       int                      `json:"count"`
}

type object struct {
	urn  string
	id   string
	outs *structpb.Struct
}

type client struct {
	rpc     pulumirpc.ResourceProviderClient
	objects []*object
}

// each runs fn over 0..n-1 with at most c in flight and returns the first error.
func each(n, c int, fn func(i int) error) error {
	if c < 1 {
		c = 1
	}
	var next int64 = -1
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for w := 0; w < c && w < n; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(atomic.AddInt64(&next, 1))
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func (c *client) check(ctx context.Context, urn string, olds *structpb.Struct, props map[string]interface{}) (*structpb.Struct, error) {
	news, err := structpb.NewStruct(props)
	if err != nil {
		return nil, err
	}
	res, err := c.rpc.Check(ctx, &pulumirpc.CheckRequest{Urn: urn, Olds: olds, News: news})
	if err != nil {
		return nil, err
	}
	if f := res.GetFailures(); len(f) > 0 {
		return nil, fmt.Errorf("%s: check failed: %s: %s", urn, f[0].GetProperty(), f[0].GetReason())
	}
	return res.GetInputs(), nil
}

func (c *client) run(j job) (map[string]interface{}, error) {
	ctx := context.Background()
	started := time.Now()
	var changes int64
	switch j.Job {
	case "connect":
		conn, err := grpc.NewClient(j.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
		if err != nil {
			return nil, err
		}
		c.rpc = pulumirpc.NewResourceProviderClient(conn)
		args, err := structpb.NewStruct(j.Config)
		if err != nil {
			return nil, err
		}
		if _, err := c.rpc.Configure(ctx, &pulumirpc.ConfigureRequest{Args: args, AcceptSecrets: false}); err != nil {
			return nil, err
		}
	case "checks":
		if len(j.Urns) != 1 || len(j.Props) != 1 {
			return nil, fmt.Errorf("checks: one urn and one property bag, not %d and %d", len(j.Urns), len(j.Props))
		}
		for i := 0; i < j.Count; i++ {
			if _, err := c.check(ctx, j.Urns[0], &structpb.Struct{}, j.Props[0]); err != nil {
				return nil, err
			}
		}
	case "create":
		if len(j.Urns) != len(j.Props) {
			return nil, fmt.Errorf("create: %d urns for %d property bags", len(j.Urns), len(j.Props))
		}
		c.objects = make([]*object, len(j.Urns))
		err := each(len(j.Urns), j.Concurrency, func(i int) error {
			inputs, err := c.check(ctx, j.Urns[i], &structpb.Struct{}, j.Props[i])
			if err != nil {
				return err
			}
			res, err := c.rpc.Create(ctx, &pulumirpc.CreateRequest{Urn: j.Urns[i], Properties: inputs})
			if err != nil {
				return fmt.Errorf("%s: create: %w", j.Urns[i], err)
			}
			c.objects[i] = &object{urn: j.Urns[i], id: res.GetId(), outs: res.GetProperties()}
			return nil
		})
		if err != nil {
			return nil, err
		}
	case "read":
		err := each(len(c.objects), j.Concurrency, func(i int) error {
			o := c.objects[i]
			res, err := c.rpc.Read(ctx, &pulumirpc.ReadRequest{Urn: o.urn, Id: o.id, Properties: o.outs})
			if err != nil {
				return fmt.Errorf("%s: read: %w", o.urn, err)
			}
			o.outs = res.GetProperties()
			return nil
		})
		if err != nil {
			return nil, err
		}
	case "diff":
		if len(j.Props) != len(c.objects) {
			return nil, fmt.Errorf("diff: %d property bags for %d objects", len(j.Props), len(c.objects))
		}
		err := each(len(c.objects), j.Concurrency, func(i int) error {
			o := c.objects[i]
			inputs, err := c.check(ctx, o.urn, o.outs, j.Props[i])
			if err != nil {
				return err
			}
			res, err := c.rpc.Diff(ctx, &pulumirpc.DiffRequest{Urn: o.urn, Id: o.id, Olds: o.outs, News: inputs})
			if err != nil {
				return fmt.Errorf("%s: diff: %w", o.urn, err)
			}
			if res.GetChanges() != pulumirpc.DiffResponse_DIFF_NONE {
				atomic.AddInt64(&changes, 1)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	case "delete":
		err := each(len(c.objects), j.Concurrency, func(i int) error {
			o := c.objects[i]
			if _, err := c.rpc.Delete(ctx, &pulumirpc.DeleteRequest{Urn: o.urn, Id: o.id, Properties: o.outs}); err != nil {
				return fmt.Errorf("%s: delete: %w", o.urn, err)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		c.objects = nil
	default:
		return nil, fmt.Errorf("unknown job %q", j.Job)
	}
	return map[string]interface{}{"ms": float64(time.Since(started).Microseconds()) / 1000, "changes": changes}, nil
}

func main() {
	c := &client{}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<30)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var j job
		var answer map[string]interface{}
		if err := json.Unmarshal(in.Bytes(), &j); err != nil {
			answer = map[string]interface{}{"error": err.Error()}
		} else if res, err := c.run(j); err != nil {
			answer = map[string]interface{}{"error": err.Error()}
		} else {
			answer = res
		}
		if err := out.Encode(answer); err != nil {
			os.Exit(1)
		}
	}
}
