/* api layer: placeholder so the library is never empty. */
int vg__api_placeholder;
