"""hingecoach: rep-by-rep coaching of hip-hinge drills from video.

The flow is one direction: video → pose track → kinematics → reps → drill checks → findings → report/store.
Import the stages you need; this package module has no import-time side effects.
"""

__version__ = "0.1.0"
