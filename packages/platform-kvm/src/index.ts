// Filled in by its issue; nothing public yet.
export {};
