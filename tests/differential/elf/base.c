/* The valid program the malformed-ELF set is derived from. */
int main(void) { return 42; }
