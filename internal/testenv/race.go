package testenv

import "sync"

// Race calls f n times at once, the calls released together, and returns what each
// returned, by i: tests of claims that exactly one of several callers must win.
func Race[T any](n int, f func(i int) T) []T {
	out := make([]T, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			out[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return out
}

// Trues counts the callers of Race that returned true: those that won.
func Trues(oks []bool) int {
	n := 0
	for _, ok := range oks {
		if ok {
			n++
		}
	}
	return n
}
