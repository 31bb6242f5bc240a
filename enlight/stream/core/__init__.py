"""The enhancement core: the inference plan resolved from the user's choices, the stages of the
Enhancer (downscale, model, smoothing, upsample and combine), temporal smoothing, memory sizing.
Frames in, frames out: no files, no threads."""
