package finetune

import "fmt"

// StepLR decays the learning rate by Decay every Period epochs, computing
// exactly what torch.optim.lr_scheduler.StepLR computes (the rate is
// multiplied at each boundary, not recomputed as a power).
type StepLR struct {
	Period int
	Decay  float64
	lr     float64
	epoch  int
}

// NewStepLR returns a schedule starting at lr.
func NewStepLR(lr float64, period int, decay float64) (*StepLR, error) {
	if period <= 0 {
		return nil, fmt.Errorf("finetune: StepLR period %d must be positive", period)
	}
	if decay <= 0 {
		return nil, fmt.Errorf("finetune: StepLR decay %g must be positive", decay)
	}
	if lr <= 0 {
		return nil, fmt.Errorf("finetune: learning rate %g must be positive", lr)
	}
	return &StepLR{Period: period, Decay: decay, lr: lr}, nil
}

// LR returns the learning rate of the current epoch.
func (s *StepLR) LR() float64 { return s.lr }

// Epoch returns how many times Step has been called.
func (s *StepLR) Epoch() int { return s.epoch }

// Step ends an epoch (scheduler.step()).
func (s *StepLR) Step() {
	s.epoch++
	if s.epoch%s.Period == 0 {
		s.lr *= s.Decay
	}
}
