/* server layer: placeholder so the library is never empty. */
int vg__server_placeholder;
