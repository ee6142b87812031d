// Package teav1 is a headless stand-in for github.com/vito/tuist/teav1, the
// adapter that hosts a bubbletea v1 model as a tuist component. Since the
// stand-in tuist draws nothing, the model instead runs as its own bubbletea
// program on the terminal when the component is mounted.
package teav1

import (
	"fmt"
	"os"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/vito/tuist"
)

// Wrap is a tuist component hosting a bubbletea v1 model.
type Wrap struct {
	tuist.Compo
	model  tea.Model
	onQuit func()
}

// New wraps model.
func New(model tea.Model) *Wrap { return &Wrap{model: model} }

// OnQuit sets fn to be called (on the TUI event loop) when the model quits.
func (w *Wrap) OnQuit(fn func()) { w.onQuit = fn }

// Render emits the model's current view.
func (w *Wrap) Render(ctx tuist.Context) { ctx.Line(w.model.View()) }

// OnMount runs the model as a bubbletea program on stdin/stderr, then calls
// the OnQuit callback. If the program fails (e.g. no TTY), the error is
// printed and OnQuit is still called, so nothing waits forever.
func (w *Wrap) OnMount(ctx tuist.Context) {
	go func() {
		m, err := tea.NewProgram(w.model, tea.WithOutput(os.Stderr)).Run()
		if err != nil {
			fmt.Fprintf(os.Stderr, "teav1 (headless): cannot run interactive prompt: %v\n", err)
		}
		ctx.Dispatch(func() {
			if m != nil {
				w.model = m
			}
			if w.onQuit != nil {
				w.onQuit()
			}
		})
	}()
}
