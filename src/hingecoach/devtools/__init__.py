"""Tools for developing and measuring hingecoach, outside the pipeline's namespace.

Why a subpackage: the top-level package is the pipeline (video → pose → clean → kinematics → reps → checks →
judge → result); what lives here only feeds or measures it — the synthetic lifter with known angles and faults
(:mod:`~hingecoach.devtools.synth`, :mod:`~hingecoach.devtools.synth_body`), the stick figure rendered from it
(:mod:`~hingecoach.devtools.render_figure`), motion-capture references (:mod:`~hingecoach.devtools.mocap`), the
generated example of ``hingecoach demo`` (:mod:`~hingecoach.devtools.demo`) and the evaluation on labelled clips
(:mod:`~hingecoach.devtools.evaluate`, with its leave-one-lifter-out figures in :mod:`~hingecoach.devtools.lolo`).
The pipeline imports nothing from here; only the CLI's ``demo`` and ``eval`` commands do.
"""
