// Package tuist is a small, headless stand-in for github.com/vito/tuist.
//
// It keeps the component model (components, containers, overlays, focus,
// mounting, and an event loop for Dispatch) and renders the tree to text
// with TUI.RenderLines, but never draws to the terminal: no raw mode, no
// alternate screen, no keyboard or mouse input.
package tuist

import (
	"io"
	"os"
	"slices"
	"sync"

	uv "github.com/charmbracelet/ultraviolet"
	"golang.org/x/term"
)

// Component renders itself into lines. Embed Compo for Update and the
// RenderChild helpers.
type Component interface {
	Render(ctx Context)
	Update()
}

// Optional component behaviours, detected with type assertions.
type (
	Interactive interface {
		HandleKeyPress(ctx Context, ev uv.KeyPressEvent) bool
	}
	Focusable interface {
		SetFocused(ctx Context, focused bool)
	}
	Hoverable interface {
		SetHovered(ctx Context, hovered bool)
	}
	MouseEnabled interface {
		HandleMouse(ctx Context, ev MouseEvent) bool
	}
	Mounter    interface{ OnMount(ctx Context) }
	Dismounter interface{ OnDismount() }
)

// MouseEvent is a mouse event at Row/Col of the component (never produced
// headless).
type MouseEvent struct {
	uv.MouseEvent
	Row, Col int
}

// Context is passed to Render and event handlers. Width and Height are the
// space available (0 = unknown). Lines go to whoever renders the component;
// on a zero Context they are dropped.
type Context struct {
	Width, Height int

	tui *TUI
	out *[]string
}

// Line appends one line of output.
func (c Context) Line(s string) { c.Lines(s) }

// Lines appends lines of output.
func (c Context) Lines(lines ...string) {
	if c.out != nil {
		*c.out = append(*c.out, lines...)
	}
}

// Resize returns a copy with another size, writing to the same output.
func (c Context) Resize(width, height int) Context {
	c.Width, c.Height = width, height
	return c
}

// ScreenHeight is the terminal height, or 0 when unknown.
func (c Context) ScreenHeight() int { _, h := c.tui.size(); return h }

// SetFocus moves the TUI's focus to comp.
func (c Context) SetFocus(comp Component) { c.tui.SetFocus(comp) }

// Dispatch queues fn on the TUI's event loop.
func (c Context) Dispatch(fn func()) { c.tui.Dispatch(fn) }

// RenderResult holds a rendered child's lines.
type RenderResult struct{ Lines []string }

// Compo is embedded by components. Renders are not cached, so it has no
// state and Update is a no-op.
type Compo struct{}

// Update marks the component as changed.
func (*Compo) Update() {}

// RenderChildResult renders child at ctx's size and returns its lines.
func (*Compo) RenderChildResult(ctx Context, child Component) RenderResult {
	var lines []string
	if child != nil {
		child.Render(Context{Width: ctx.Width, Height: ctx.Height, tui: ctx.tui, out: &lines})
	}
	return RenderResult{Lines: lines}
}

// RenderChild renders child into ctx's output.
func (c *Compo) RenderChild(ctx Context, child Component) {
	ctx.Lines(c.RenderChildResult(ctx, child).Lines...)
}

// RenderChildInline returns the first line of child (e.g. a Spinner).
func (c *Compo) RenderChildInline(ctx Context, child Component) string {
	if lines := c.RenderChildResult(ctx.Resize(ctx.Width, 1), child).Lines; len(lines) > 0 {
		return lines[0]
	}
	return ""
}

// Container renders its Children in order. The zero value is ready to use.
type Container struct {
	Compo
	Children []Component
}

// AddChild appends child.
func (c *Container) AddChild(child Component) { c.Children = append(c.Children, child) }

// RemoveChild removes child and reports whether it was present.
func (c *Container) RemoveChild(child Component) bool {
	n := len(c.Children)
	c.Children = slices.DeleteFunc(c.Children, func(x Component) bool { return x == child })
	return len(c.Children) != n
}

// Render renders every child.
func (c *Container) Render(ctx Context) {
	for _, child := range c.Children {
		c.RenderChild(ctx, child)
	}
}

// Terminal is what a TUI is attached to; headless, only its size is used.
type Terminal interface{ Size() (width, height int) }

// StdTerminal is the process's standard streams.
type StdTerminal struct{}

// NewStdTerminal returns the terminal on stdin/stdout/stderr.
func NewStdTerminal() *StdTerminal { return &StdTerminal{} }

// Size is the size of stdout or else stderr; 0x0 if neither is a terminal.
func (*StdTerminal) Size() (int, int) {
	for _, f := range []*os.File{os.Stdout, os.Stderr} {
		if w, h, err := term.GetSize(int(f.Fd())); err == nil {
			return w, h
		}
	}
	return 0, 0
}

// TUI is the root Container plus an event loop: Start mounts the children
// and runs Dispatch callbacks one at a time on its own goroutine; Stop runs
// what is queued and ends the loop. Nothing is drawn.
type TUI struct {
	Container
	term Terminal

	mu               sync.Mutex
	queue            []func()
	wake, done       chan struct{}
	started, stopped bool
	focused          Component
	overlays         []*OverlayHandle
	debug            io.Writer
}

// New returns a TUI attached to term.
func New(term Terminal) *TUI {
	return &TUI{term: term, wake: make(chan struct{}, 1), done: make(chan struct{})}
}

func (t *TUI) running() bool {
	if t == nil {
		return false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.started && !t.stopped
}

// size is the terminal size while running, else 0x0 (no live terminal).
func (t *TUI) size() (int, int) {
	if !t.running() || t.term == nil {
		return 0, 0
	}
	return t.term.Size()
}

// Start mounts the children and starts the event loop, which first runs
// callbacks dispatched before Start.
func (t *TUI) Start() {
	t.mu.Lock()
	if t.started {
		t.mu.Unlock()
		return
	}
	t.started = true
	t.mu.Unlock()
	for _, c := range t.Children {
		t.mount(c)
	}
	go t.loop()
	t.poke()
}

func (t *TUI) poke() {
	select {
	case t.wake <- struct{}{}:
	default:
	}
}

func (t *TUI) loop() {
	defer close(t.done)
	for range t.wake {
		t.mu.Lock()
		queue, stopped := t.queue, t.stopped
		t.queue = nil
		t.mu.Unlock()
		for _, fn := range queue {
			fn()
		}
		if stopped {
			return
		}
	}
}

// Stop runs the callbacks already queued, then ends the loop; later
// Dispatch calls are dropped. Do not call it from a Dispatch callback.
func (t *TUI) Stop() {
	t.mu.Lock()
	wasRunning := t.started && !t.stopped
	t.stopped = true
	t.mu.Unlock()
	if wasRunning {
		t.poke()
		<-t.done
	}
}

// Dispatch queues fn to run on the event loop.
func (t *TUI) Dispatch(fn func()) {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.stopped {
		t.queue = append(t.queue, fn)
		if t.started {
			t.poke()
		}
	}
}

func (t *TUI) mount(c Component) {
	if m, ok := c.(Mounter); ok && t.running() {
		m.OnMount(Context{tui: t})
	}
}

func (t *TUI) dismount(c Component) {
	if d, ok := c.(Dismounter); ok && t.running() {
		d.OnDismount()
	}
}

// AddChild appends c, mounting it if the TUI is running.
func (t *TUI) AddChild(c Component) {
	t.Container.AddChild(c)
	t.mount(c)
}

// RemoveChild removes c, dismounting it if the TUI is running.
func (t *TUI) RemoveChild(c Component) {
	if t.Container.RemoveChild(c) {
		t.dismount(c)
	}
}

// SetFocus moves focus to c, notifying Focusable components.
func (t *TUI) SetFocus(c Component) {
	if t == nil || c == t.focused {
		return
	}
	if f, ok := t.focused.(Focusable); ok {
		f.SetFocused(Context{tui: t}, false)
	}
	t.focused = c
	if f, ok := c.(Focusable); ok {
		f.SetFocused(Context{tui: t}, true)
	}
}

// RenderLines renders the children, then the overlays, as lines of text.
func (t *TUI) RenderLines() []string {
	w, h := t.size()
	ctx := Context{Width: w, Height: h, tui: t}
	lines := t.RenderChildResult(ctx, &t.Container).Lines
	for _, o := range t.overlays {
		lines = append(lines, t.RenderChildResult(ctx.Resize(o.width(w), 0), o.comp).Lines...)
	}
	return lines
}

// Exec runs fn on the standard streams; there is no screen to suspend.
func (t *TUI) Exec(fn func(in io.Reader, out, errOut io.Writer) error) error {
	return fn(os.Stdin, os.Stdout, os.Stderr)
}

// RequestRender would repaint the screen; headless, it does nothing.
func (t *TUI) RequestRender(force bool) {}

// SetShowHardwareCursor would toggle the cursor; headless, it does nothing.
func (t *TUI) SetShowHardwareCursor(show bool) {}

// SetDebugWriter sets an extra destination for the TUI's notices.
func (t *TUI) SetDebugWriter(w io.Writer) { t.debug = w }

// notice tells the user, on stderr, about something headless mode can't do.
func (t *TUI) notice(msg string) {
	msg = "tuist (headless): " + msg + "\n"
	io.WriteString(os.Stderr, msg)
	if t.debug != nil {
		io.WriteString(t.debug, msg)
	}
}
