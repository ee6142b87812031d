package rollout

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// PodProblem is why one pod of a release is not serving.
type PodProblem struct {
	Pod string
	// Reason is the container's waiting or terminated reason
	// (CrashLoopBackOff, ImagePullBackOff, Error, …) or "not ready".
	Reason string
	// Restarts is the container's restart count.
	Restarts int
	// Events are the pod's latest warning events, oldest first.
	Events []string
}

// Diagnose finds the pods that are not ready among pods (`kubectl get pods
// -o json`), with their latest events from events (`kubectl get events -o
// json`), at most perPod each.
func Diagnose(podsJSON, eventsJSON []byte, perPod int) ([]PodProblem, error) {
	var pods struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Status   struct {
				Phase      string `json:"phase"`
				Conditions []struct {
					Type, Status string
				} `json:"conditions"`
				ContainerStatuses []struct {
					Ready        bool `json:"ready"`
					RestartCount int  `json:"restartCount"`
					State        struct {
						Waiting    *struct{ Reason, Message string } `json:"waiting"`
						Terminated *struct {
							Reason   string
							ExitCode int `json:"exitCode"`
						} `json:"terminated"`
					} `json:"state"`
					LastState struct {
						Terminated *struct {
							Reason   string
							ExitCode int `json:"exitCode"`
						} `json:"terminated"`
					} `json:"lastState"`
				} `json:"containerStatuses"`
			} `json:"status"`
		} `json:"items"`
	}
	if err := json.Unmarshal(podsJSON, &pods); err != nil {
		return nil, fmt.Errorf("deploy: cannot read the pods: %w", err)
	}
	var events struct {
		Items []struct {
			InvolvedObject struct{ Kind, Name string } `json:"involvedObject"`
			Type, Reason   string
			Message        string
			Count          int
			LastTimestamp  string `json:"lastTimestamp"`
			EventTime      string `json:"eventTime"`
		} `json:"items"`
	}
	if len(eventsJSON) > 0 {
		if err := json.Unmarshal(eventsJSON, &events); err != nil {
			return nil, fmt.Errorf("deploy: cannot read the events: %w", err)
		}
	}
	sort.SliceStable(events.Items, func(i, j int) bool {
		return max(events.Items[i].LastTimestamp, events.Items[i].EventTime) < max(events.Items[j].LastTimestamp, events.Items[j].EventTime)
	})
	var out []PodProblem
	for _, p := range pods.Items {
		ready := false
		for _, c := range p.Status.Conditions {
			if c.Type == "Ready" && c.Status == "True" {
				ready = true
			}
		}
		if ready {
			continue
		}
		pp := PodProblem{Pod: p.Metadata.Name, Reason: "not ready (phase " + p.Status.Phase + ")"}
		for _, c := range p.Status.ContainerStatuses {
			pp.Restarts = max(pp.Restarts, c.RestartCount)
			switch {
			case c.State.Waiting != nil && c.State.Waiting.Reason != "":
				pp.Reason = c.State.Waiting.Reason
				if t := c.LastState.Terminated; t != nil {
					pp.Reason += fmt.Sprintf(" (last exit: %s, code %d)", t.Reason, t.ExitCode)
				}
			case c.State.Terminated != nil:
				pp.Reason = fmt.Sprintf("%s (exit code %d)", c.State.Terminated.Reason, c.State.Terminated.ExitCode)
			case !c.Ready:
				pp.Reason = "running but not ready: its readiness probe fails"
			}
		}
		for _, e := range events.Items {
			if e.InvolvedObject.Kind == "Pod" && e.InvolvedObject.Name == pp.Pod && e.Type == "Warning" {
				line := e.Reason + ": " + strings.TrimSpace(e.Message)
				if e.Count > 1 {
					line += fmt.Sprintf(" (×%d)", e.Count)
				}
				pp.Events = append(pp.Events, line)
			}
		}
		if len(pp.Events) > perPod {
			pp.Events = pp.Events[len(pp.Events)-perPod:]
		}
		out = append(out, pp)
	}
	return out, nil
}

// String renders the problem for a developer.
func (p PodProblem) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "pod %s: %s, %d restart(s)", p.Pod, p.Reason, p.Restarts)
	for _, e := range p.Events {
		b.WriteString("\n    event: " + e)
	}
	return b.String()
}
