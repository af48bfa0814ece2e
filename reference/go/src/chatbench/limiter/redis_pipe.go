package limiter

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/gomodule/redigo/redis"
)

// redisPipe is one Redis connection shared by every caller, as ioredis' auto-pipelining shares
// one: commands sent meanwhile go out together and one reader goroutine hands each reply to
// its caller, in order. A caller waits at most the command timeout; its command stays on its
// way, and a reply that comes later is kept on the timeout error (late). No offline queue: while
// the connection is down a command fails at once, after one dial.
type redisPipe struct {
	url     string
	timeout time.Duration
	// prepare runs on each new connection before it is shared (loads the scripts).
	prepare func(redis.Conn) error

	mu     sync.Mutex // held while sending, so that replies come in the order of pending
	cur    *pipeConn
	closed bool
}

// pipeConn is one connection and the calls whose replies it still owes, oldest first.
type pipeConn struct {
	conn    redis.Conn
	pending []*pipeCall
}

// pipeCall is one command on its way: done is closed once reply or err is set.
type pipeCall struct {
	done  chan struct{}
	reply interface{}
	err   error
}

// pipeCommand is a command to send.
type pipeCommand struct {
	name string
	args []interface{}
}

var errPipeClosed = errors.New("the Redis connection is closed")

// timeoutError is a command with no reply read within the timeout: Redis was slow. Its reply,
// if it comes later, is the command's result after all (late).
type timeoutError struct {
	call    *pipeCall
	timeout time.Duration
}

func (e *timeoutError) Error() string {
	return fmt.Sprintf("no reply from Redis within %d ms", e.timeout.Milliseconds())
}

// late is the reply that came after the timeout, if it has come.
func (e *timeoutError) late() (interface{}, bool) {
	select {
	case <-e.call.done:
		return e.call.reply, e.call.err == nil
	default:
		return nil, false
	}
}

// send writes the commands in one write and returns their calls.
func (p *redisPipe) send(cmds []pipeCommand) ([]*pipeCall, error) {
	calls := make([]*pipeCall, len(cmds))
	for i := range calls {
		calls[i] = &pipeCall{done: make(chan struct{})}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil, errPipeClosed
	}
	if p.cur == nil {
		if err := p.dial(); err != nil {
			return nil, err
		}
	}
	c := p.cur
	var err error
	for _, cmd := range cmds {
		if err = c.conn.Send(cmd.name, cmd.args...); err != nil {
			break
		}
	}
	if err == nil {
		err = c.conn.Flush()
	}
	if err != nil {
		// the connection is broken: its reader fails what it owes
		p.cur = nil
		c.conn.Close()
		return nil, err
	}
	c.pending = append(c.pending, calls...)
	return calls, nil
}

// dial connects, prepares the connection and starts its reader (p.mu held).
func (p *redisPipe) dial() error {
	conn, err := redis.DialURL(p.url, redis.DialConnectTimeout(p.timeout), redis.DialWriteTimeout(p.timeout))
	if err != nil {
		return err
	}
	if p.prepare != nil {
		if err := p.prepare(conn); err != nil {
			conn.Close()
			return err
		}
	}
	p.cur = &pipeConn{conn: conn}
	go p.read(p.cur)
	return nil
}

// read hands each reply to the oldest call waiting for one; when the connection fails, every
// call it owes fails.
func (p *redisPipe) read(c *pipeConn) {
	for {
		reply, err := redis.ReceiveWithTimeout(c.conn, 0)
		_, replyError := err.(redis.Error)
		p.mu.Lock()
		if err != nil && !replyError {
			owed := c.pending
			c.pending = nil
			if p.cur == c {
				p.cur = nil
			}
			p.mu.Unlock()
			c.conn.Close()
			for _, call := range owed {
				call.err = err
				close(call.done)
			}
			return
		}
		if len(c.pending) == 0 { // a reply nobody asked for: the connection is out of step
			p.mu.Unlock()
			c.conn.Close()
			continue
		}
		call := c.pending[0]
		c.pending[0] = nil
		c.pending = c.pending[1:]
		p.mu.Unlock()
		call.reply, call.err = reply, err
		close(call.done)
	}
}

// wait is the call's reply, or a timeoutError once deadline has passed without one read. When
// the timer fires, a reply that came meanwhile still wins.
func (p *redisPipe) wait(call *pipeCall, deadline time.Time) (interface{}, error) {
	select {
	case <-call.done:
		return call.reply, call.err
	default:
	}
	if left := time.Until(deadline); left > 0 {
		timer := time.NewTimer(left)
		select {
		case <-call.done:
			timer.Stop()
			return call.reply, call.err
		case <-timer.C:
		}
	}
	select {
	case <-call.done:
		return call.reply, call.err
	default:
		return nil, &timeoutError{call: call, timeout: p.timeout}
	}
}

// do sends one command and waits for its reply.
func (p *redisPipe) do(name string, args ...interface{}) (interface{}, error) {
	deadline := time.Now().Add(p.timeout)
	calls, err := p.send([]pipeCommand{{name, args}})
	if err != nil {
		return nil, err
	}
	return p.wait(calls[0], deadline)
}

// close closes the connection; calls on their way fail.
func (p *redisPipe) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	if p.cur != nil {
		p.cur.conn.Close()
		p.cur = nil
	}
}
