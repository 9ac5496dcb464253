//go:build !unix

package use

import "time"

func processCPU() time.Duration { return 0 }
