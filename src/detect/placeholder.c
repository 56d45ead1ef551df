/* detect layer: placeholder so the library is never empty. */
int vg__detect_placeholder;
