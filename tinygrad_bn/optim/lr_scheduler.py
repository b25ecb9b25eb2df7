"""Learning-rate schedules, as torch.optim.lr_scheduler: each step() sets every group["lr"].

Call scheduler.step() once per epoch, after optimizer.step(). The formulas are torch's own
recurrences (each lr computed from the previous one), so the values agree to the last bit.
"""
import math

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "CosineAnnealingLR"]


class LRScheduler:
    """Base: keeps base_lrs (each group's "initial_lr") and last_epoch; subclasses give get_lr."""

    def __init__(self, optimizer, last_epoch=-1):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: {type(optimizer).__name__} is not an "
                            "Optimizer; pass e.g. optim.SGD(model.parameters(), lr=0.1)")
        self.optimizer = optimizer
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: last_epoch={last_epoch} resumes a "
                               f"schedule but param_groups[{i}] has no 'initial_lr'; load the "
                               "optimizer's state_dict first, or use last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch, self._step_count = last_epoch, 0
        self.step()                                     # epoch 0: the starting rates

    def get_lr(self):
        """The learning rate of each group at last_epoch (subclasses define it)."""
        raise NotImplementedError

    def step(self):
        """Move to the next epoch and set each group's lr."""
        self._step_count += 1
        self.last_epoch += 1
        for group, lr in zip(self.optimizer.param_groups, self.get_lr()):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The learning rates the last step() set, one per group."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (save the optimizer's own state_dict beside it)."""
        return {k: v for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict):
        """Resume from state_dict(): the epoch count, base rates and settings."""
        vars(self).update(state_dict)

    def _lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size): multiply by gamma every step_size epochs."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._lrs()
        return [lr * self.gamma for lr in self._lrs()]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: a half cosine
    from base_lr down to eta_min over T_max epochs (then back up, as torch)."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        t, lo, base = self.last_epoch, self.eta_min, self.base_lrs
        if self._step_count == 1:                       # the first rates: as given, or resumed
            return self._lrs() if t == 0 else \
                [lo + (b - lo) * (1 + math.cos(t * math.pi / self.T_max)) / 2 for b in base]
        if (t - 1 - self.T_max) % (2 * self.T_max) == 0:
            return [lr + (b - lo) * (1 - math.cos(math.pi / self.T_max)) / 2
                    for lr, b in zip(self._lrs(), base)]
        return [(1 + math.cos(math.pi * t / self.T_max))
                / (1 + math.cos(math.pi * (t - 1) / self.T_max)) * (lr - lo) + lo
                for lr in self._lrs()]
