//go:build linux

package runner

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// collect runs pump over what write produces and returns the lines.
func collect(t *testing.T, write func(w io.Writer)) []string {
	t.Helper()
	r, w := io.Pipe()
	go func() {
		write(w)
		w.Close()
	}()
	var got []string
	pump(r, func(lines [][]byte) {
		for _, l := range lines {
			got = append(got, string(l))
		}
	})
	return got
}

func TestPumpLines(t *testing.T) {
	t.Parallel()
	got := collect(t, func(w io.Writer) {
		io.WriteString(w, "one\r\ntw")
		time.Sleep(20 * time.Millisecond) // a partial line must wait, not be flushed
		io.WriteString(w, "o\n\nthree")
	})
	want := []string{"one", "two", "", "three"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestPumpLongLines(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20)
	got := collect(t, func(w io.Writer) {
		// Written in small pieces, as a slow producer would.
		for i := 0; i < len(big); i += 1000 {
			io.WriteString(w, big[i:min(i+1000, len(big))])
		}
		io.WriteString(w, "\nshort\n")
	})
	if len(got) != 2 || got[0] != big || got[1] != "short" {
		t.Fatalf("got %d lines, first %d bytes", len(got), len(got[0]))
	}
	huge := collect(t, func(w io.Writer) {
		io.WriteString(w, strings.Repeat("y", maxLineLen+100)+"\n")
	})
	if len(huge) != 2 || len(huge[0]) < maxLineLen || len(huge[0])+len(huge[1]) != maxLineLen+100 {
		t.Fatalf("ceiling: %d pieces", len(huge))
	}
}

func TestOutputBigLineAndLastLine(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: oneshot
big: python3 -c "import sys; sys.stdout.write('x'*1048576+'\n'); sys.stdout.write('after')"
# hiverun: oneshot
partial: printf 'a\nno newline at the end'
# hiverun: oneshot
stderr: sh -c 'echo to-stderr >&2'
`)
	if err := h.run(20*time.Second, nil); err != nil {
		t.Fatalf("%v", err)
	}
	big := h.lines("big")
	if len(big) != 2 || big[0] != strings.Repeat("x", 1<<20) || big[1] != "after" {
		t.Errorf("big: %d lines", len(big))
	}
	if p := h.lines("partial"); len(p) != 2 || p[1] != "no newline at the end" {
		t.Errorf("partial: %q", p)
	}
	if p := h.lines("stderr"); len(p) != 1 || p[0] != "to-stderr" {
		t.Errorf("stderr: %q", p)
	}
}

// TestOutputManyWriters: 8 processes writing 25,000 lines each at once;
// every line arrives exactly once, whole, with its prefix.
func TestOutputManyWriters(t *testing.T) {
	t.Parallel()
	var b strings.Builder
	for i := 1; i <= 8; i++ {
		fmt.Fprintf(&b, "# hiverun: oneshot\nw%d: python3 -c \"import os; n=os.environ['PS']; [print(n+'-'+str(i)+'-'+'z'*(i%%300)) for i in range(25000)]\"\n", i)
	}
	h := newHarness(t, b.String())
	if err := h.run(60*time.Second, nil); err != nil {
		t.Fatalf("%v", err)
	}
	for i := 1; i <= 8; i++ {
		name := fmt.Sprintf("w%d", i)
		lines := h.lines(name)
		if len(lines) != 25000 {
			t.Fatalf("%s: %d lines", name, len(lines))
		}
		for j, l := range lines {
			want := fmt.Sprintf("%s.1-%d-%s", name, j, strings.Repeat("z", j%300))
			if l != want {
				t.Fatalf("%s line %d = %q, want %q", name, j, l, want)
			}
		}
	}
}

// slowSink takes its time over every write, like a slow terminal.
type slowSink struct {
	mu    sync.Mutex
	b     bytes.Buffer
	calls atomic.Int64
}

func (s *slowSink) Write(p []byte) (int, error) {
	time.Sleep(2 * time.Millisecond)
	s.calls.Add(1)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// TestSlowReaderSlowsProducer: nothing is lost, and the producer is held
// back by the pipe rather than finishing into a growing buffer.
func TestSlowReaderSlowsProducer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: oneshot
fast: python3 -c "import time,sys; [print('line-%d-' % i + 'p'*100) for i in range(40000)]; sys.stdout.flush(); print('producer-finished', time.time())"
`)
	sink := &slowSink{}
	start := time.Now()
	if err := h.run(60*time.Second, func(o *Options) { o.Stdout = sink }); err != nil {
		t.Fatal(err)
	}
	total := time.Since(start)
	out := sink.b.String()
	n := strings.Count(out, "fast    | line-")
	if n != 40000 {
		t.Fatalf("%d lines arrived, want 40000", n)
	}
	// 4 MB over a sink doing ~64 KiB per 2 ms write: the producer cannot
	// have finished before most of it was written.
	i := strings.Index(out, "producer-finished ")
	var fin float64
	fmt.Sscanf(out[i+len("producer-finished "):], "%f", &fin)
	finished := time.Unix(0, int64(fin*1e9))
	if lead := total - finished.Sub(start); lead > total/2 {
		t.Errorf("producer finished %s before the end of a %s run: output was buffered, not back-pressured", lead, total)
	}
}

// TestEventBurstIsBatched: lines queued while a write is under way go out
// together in the next one, whole and in order per producer, and a sink
// that blocks holds the producers back at maxQueued.
func TestEventBurstIsBatched(t *testing.T) {
	t.Parallel()
	sink := &slowSink{}
	o := newOutput(sink, false, false, time.Now, 4)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := o.prefixFor(fmt.Sprintf("p%d", g), g)
			for i := 0; i < 50; i++ {
				o.event(p, fmt.Sprintf("p%d started %d", g, i))
			}
		}()
	}
	wg.Wait()
	o.sync()
	next := map[string]int{}
	for _, l := range strings.Split(strings.TrimSuffix(sink.b.String(), "\n"), "\n") {
		var g, i int
		if _, err := fmt.Sscanf(l[strings.Index(l, "| ")+2:], "p%d started %d", &g, &i); err != nil || !strings.HasPrefix(l, fmt.Sprintf("p%d ", g)) {
			t.Fatalf("torn line %q", l)
		}
		if k := fmt.Sprint(g); i != next[k] {
			t.Fatalf("p%d: line %d came after %d", g, i, next[k]-1)
		} else {
			next[k]++
		}
	}
	if len(next) != 8 {
		t.Fatalf("lines of %d producers arrived, want 8", len(next))
	}
	// Each write takes 2 ms: 400 lines written one by one take 800 ms.
	if c := sink.calls.Load(); c > 100 {
		t.Errorf("%d writes for 400 lines from 8 goroutines: not batched", c)
	}

	blocked := &blockingSink{release: make(chan struct{})}
	o = newOutput(blocked, false, false, time.Now, 4)
	p := o.prefixFor("big", 0)
	line := [][]byte{bytes.Repeat([]byte("x"), 1000)}
	go o.lines(p, line) // the writer, held in Write
	for blocked.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	done := make(chan int)
	go func() {
		n := 0
		for ; n < 10*maxQueued/1000; n++ {
			o.lines(p, line)
		}
		done <- n
	}()
	select {
	case n := <-done:
		t.Fatalf("%d lines of 1 kB queued behind a sink that does not take them", n)
	case <-time.After(200 * time.Millisecond):
	}
	close(blocked.release)
	<-done
	o.sync()
}

type blockingSink struct {
	release chan struct{}
	calls   atomic.Int64
}

func (s *blockingSink) Write(p []byte) (int, error) {
	s.calls.Add(1)
	<-s.release
	return len(p), nil
}

func TestNoTornLinesWithLiveLine(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	o := newOutput(buf, false, false, time.Now, 4)
	p := o.prefixFor("web", 0)
	o.setLive("waiting: web")
	o.lines(p, [][]byte{[]byte("hello")})
	o.setLive("")
	want := "\r\x1b[Kwaiting: web" + "\r\x1b[Kweb     | hello\nwaiting: web" + "\r\x1b[K"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
}

func TestPrefixFormat(t *testing.T) {
	t.Parallel()
	buf := &syncBuffer{}
	now := func() time.Time { return time.Date(2024, 1, 15, 10, 30, 45, 0, time.UTC) }
	o := newOutput(buf, false, true, now, len("backend"))
	o.lines(o.prefixFor("api", 0), [][]byte{[]byte("x")})
	o.event(o.prefixFor("hiverun", -1), "two\nlines")
	want := "10:30:45 api     | x\n10:30:45 hiverun | two\n10:30:45 hiverun | lines\n"
	if buf.String() != want {
		t.Fatalf("got %q, want %q", buf.String(), want)
	}
	cbuf := &syncBuffer{}
	c := newOutput(cbuf, true, false, now, 3)
	c.lines(c.prefixFor("api", 0), [][]byte{[]byte("x")})
	if !strings.Contains(cbuf.String(), "\x1b[36m") {
		t.Errorf("no colour: %q", cbuf.String())
	}
}

func TestLogFileRotates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	l, err := openLogFile(dir, "web.1", 200)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 6000, time.UTC)
	for i := 0; i < 10; i++ {
		l.lines(at, [][]byte{[]byte(fmt.Sprintf("line %d", i))})
	}
	l.close()
	cur, _ := os.ReadFile(dir + "/web.1.log")
	old, _ := os.ReadFile(dir + "/web.1.log.1")
	if len(cur) > 200 || len(old) == 0 || len(old) > 200 || !strings.HasSuffix(string(cur), "line 9\n") {
		t.Fatalf("current %q\nrotated %q", cur, old)
	}
	if !strings.HasPrefix(string(cur), "2026-01-02T03:04:05.000006Z ") {
		t.Fatalf("stamp: %q", cur)
	}
}

// stallSink holds back every write for a while, like a terminal that is
// scrolled back or a loaded machine.
type stallSink struct {
	syncBuffer
	stall time.Duration
}

func (s *stallSink) Write(p []byte) (int, error) {
	time.Sleep(s.stall)
	return s.syncBuffer.Write(p)
}

// TestLastLinesUnderLoad: when writing the output stalls for longer than
// the drain waits for progress (a loaded machine, a terminal scrolled
// back), what the process left in the pipe before it exited is still
// shown. It used to be cut off: after 500 ms without a line, the pipe was
// closed, as if a grandchild held it open with nothing to say.
func TestLastLinesUnderLoad(t *testing.T) {
	t.Parallel()
	h := newHarness(t, `# hiverun: oneshot
burst: python3 -c "[print('line %05d ' % i + 'x'*90) for i in range(1500)]"
`)
	sink := &stallSink{stall: 700 * time.Millisecond}
	if err := h.run(60*time.Second, func(o *Options) { o.Stdout = sink }); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(sink.String(), "burst   | line "); n != 1500 {
		t.Fatalf("%d lines arrived before hiverun ended, want 1500", n)
	}
}
