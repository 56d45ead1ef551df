/* posture layer: placeholder so the library is never empty. */
int vg__posture_placeholder;
