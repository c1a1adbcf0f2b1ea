/*
 * The end object of an Android shared library, written for Hush's no-NDK
 * build (scripts/android/sysroot): the stack is not executable, and on every
 * ABI but arm (which unwinds with .ARM.exidx) a zero word ends .eh_frame.
 */
	.section .note.GNU-stack,"",%progbits
#if !defined(__arm__)
	.section .eh_frame,"a",%progbits
	.balign 4
	.long 0
#endif
