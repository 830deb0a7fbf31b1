package network

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Timeouts of a process's life.
const (
	readyTimeout = 90 * time.Second // from exec to a healthy answer
	stopTimeout  = 30 * time.Second // from SIGTERM to exit, before SIGKILL
	pollInterval = 100 * time.Millisecond
)

// ErrNotRunning is returned by Kill9 and Stop on a process that is not running.
var ErrNotRunning = errors.New("network: the process is not running")

// Process is one edms process of the network (a hub or a node). Its output goes to
// its log file, appended across restarts.
type Process struct {
	Name        string
	LogPath     string
	OperatorURL string // its own plain-HTTP listener with /metrics ("" for a standalone node)
	args        []string
	env         []string
	ready       func(ctx context.Context) error // nil once the process answers healthy

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when cmd has exited
	waitErr error
}

// start execs the process and waits until it is healthy.
func (p *Process) start(ctx context.Context) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		return fmt.Errorf("network: %s is already running", p.Name)
	}
	log, err := os.OpenFile(p.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("network: %s: %w", p.Name, err)
	}
	defer log.Close() // the child holds its own descriptor
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(os.Environ(), p.env...)
	cmd.Stdout, cmd.Stderr = log, log
	// Its own process group, so a terminal's Ctrl-C reaches the harness, which
	// stops the processes in order; and killed with the harness, so no orphan stays.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("network: unable to start %s: %w", p.Name, err)
	}
	p.cmd, p.exited = cmd, make(chan struct{})
	go p.reap(cmd, p.exited)
	return nil
}

func (p *Process) reap(cmd *exec.Cmd, exited chan struct{}) {
	err := cmd.Wait()
	p.mu.Lock()
	p.waitErr = err
	p.mu.Unlock()
	close(exited)
}

// WaitHealthy polls the process's health check until it passes, the process exits
// or readyTimeout ends.
func (p *Process) WaitHealthy(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	exited := p.exitedChan()
	for {
		err := p.ready(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("network: %s exited before it was ready (%v); its log ends:\n%s", p.Name, p.exitErr(), p.LogTail(2000))
		case <-ctx.Done():
			return fmt.Errorf("network: %s was not ready in %s: %v; its log ends:\n%s", p.Name, readyTimeout, err, p.LogTail(2000))
		case <-time.After(pollInterval):
		}
	}
}

func (p *Process) exitedChan() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.exited
}

func (p *Process) exitErr() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.waitErr
}

// PID is the process id, or 0 when it is not running.
func (p *Process) PID() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Running reports whether the process is running.
func (p *Process) Running() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Kill9 kills the process with SIGKILL, as a crash would, and waits for it to die.
func (p *Process) Kill9() error {
	return p.signalAndWait(syscall.SIGKILL, 0)
}

// Stop asks the process to shut down gracefully (SIGTERM) and kills it if it has
// not exited after stopTimeout.
func (p *Process) Stop() error {
	return p.signalAndWait(syscall.SIGTERM, stopTimeout)
}

// Restart stops the process if it runs, starts it again and waits until it is healthy.
func (p *Process) Restart(ctx context.Context) error {
	if err := p.Stop(); err != nil && !errors.Is(err, ErrNotRunning) {
		return err
	}
	if err := p.start(ctx); err != nil {
		return err
	}
	return p.WaitHealthy(ctx)
}

// signalAndWait sends sig and waits for the exit; after grace (0: forever) it sends
// SIGKILL.
func (p *Process) signalAndWait(sig syscall.Signal, grace time.Duration) error {
	p.mu.Lock()
	cmd, exited := p.cmd, p.exited
	p.mu.Unlock()
	if cmd == nil {
		return ErrNotRunning
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("network: signal %s: %w", p.Name, err)
	}
	if grace > 0 {
		select {
		case <-exited:
		case <-time.After(grace):
			_ = cmd.Process.Kill()
		}
	}
	<-exited
	p.mu.Lock()
	p.cmd = nil
	p.mu.Unlock()
	return nil
}

// LogTail returns the last n bytes of the process's log.
func (p *Process) LogTail(n int) string {
	data, err := os.ReadFile(p.LogPath)
	if err != nil {
		return err.Error()
	}
	if len(data) > n {
		data = data[len(data)-n:]
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			data = data[i+1:]
		}
	}
	return string(data)
}
