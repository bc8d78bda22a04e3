/**
 * A database transaction handed through domain code without the domain knowing what it is: the
 * caller (the administration, committing a change with its audit record) opens it, a domain
 * service passes it on, and only src/store/ uses it (as a knex transaction).
 */
export type Transaction = object
