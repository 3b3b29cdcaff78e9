//! Proc-macros for LwM2M objects. The macros themselves arrive with the proc-macro issue; this
//! crate exists so the workspace layout is final and the codegen library it will call is
//! already shared.
