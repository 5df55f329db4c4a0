package m2mauth

/*
#cgo CFLAGS: -I${SRCDIR}/../include
#cgo LDFLAGS: -lm2m_auth
#include <stdlib.h>
#include <string.h>
#include <m2m_auth.h>
*/
import "C"

import (
	"context"
	"strings"
	"sync"
	"unsafe"
)

// MaxBlockingCalls bounds how many calls into the library may block at
// once (each holds an OS thread while it waits for the network); further
// callers wait in Go, where a goroutine costs little, until a slot frees or
// their context ends. Set it before the first call. A fresh cached token
// never blocks, so a herd of goroutines on a cold cache needs only as many
// threads as this bound, and still makes one token request.
var MaxBlockingCalls = 256

var (
	slotsOnce sync.Once
	slots     chan struct{}
)

func blockingSlots() chan struct{} {
	slotsOnce.Do(func() {
		n := MaxBlockingCalls
		if n < 1 {
			n = 1
		}
		slots = make(chan struct{}, n)
	})
	return slots
}

// blocking runs fn, a call that may block on the network, in a slot of
// MaxBlockingCalls, and returns when fn does or when ctx ends first (then
// with ctx.Err(): fn goes on, and release receives what it returns).
func blocking[T any](ctx context.Context, fn func() T, release func(T)) (T, error) {
	var zero T
	s := blockingSlots()
	if ctx.Done() == nil {
		s <- struct{}{}
		defer func() { <-s }()
		return fn(), nil
	}
	select {
	case s <- struct{}{}:
	case <-ctx.Done():
		return zero, ctx.Err()
	}
	if err := ctx.Err(); err != nil {
		<-s
		return zero, err
	}
	var mu sync.Mutex
	abandoned := false
	done := make(chan T, 1)
	go func() {
		v := fn()
		<-s
		mu.Lock()
		defer mu.Unlock()
		if abandoned {
			if release != nil {
				release(v)
			}
			return
		}
		done <- v
	}()
	select {
	case v := <-done:
		return v, nil
	case <-ctx.Done():
		mu.Lock()
		abandoned = true
		mu.Unlock()
		select {
		case v := <-done:
			// It finished as the context ended: still the caller's.
			return v, nil
		default:
		}
		return zero, ctx.Err()
	}
}

// goString copies a C string ("" for NULL).
func goString(p *C.char) string {
	if p == nil {
		return ""
	}
	return C.GoString(p)
}

// noNUL refuses text a C string cannot carry whole (it would be cut).
func noNUL(what, s string) error {
	if strings.IndexByte(s, 0) >= 0 {
		return configError(what + " holds a NUL byte")
	}
	return nil
}

// cString is a C copy of s; free it with freeCString (secret: zeroed first).
func cString(s string) *C.char { return C.CString(s) }

func freeCString(p *C.char, secret bool) {
	if p == nil {
		return
	}
	if secret {
		C.memset(unsafe.Pointer(p), 0, C.strlen(p))
	}
	C.free(unsafe.Pointer(p))
}

// Version is the library's version, e.g. "0.1.0".
func Version() string { return goString(C.m2m_version()) }
