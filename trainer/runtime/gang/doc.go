// Package gang launches and owns the rank processes of one attempt on one node: the
// researcher's script, once per local rank, as torchrun would start it. The agent
// builds each rank's argv and environment; gang starts them, captures their output,
// watches them, and makes sure that when the attempt ends nothing of it is left.
//
// The attempt is a gang: it succeeds only when every rank exits 0, and the first rank
// to fail (a non-zero exit or a signal), a silent rank, an owner's Kill or a cancelled
// context ends all of it. Ending means SIGTERM to every rank's process group, a short
// grace, SIGKILL to every group, and then a sweep of /proc for any process whose
// environment carries this gang's marker, MarkerEnv (children that called setsid, or
// that a rank left behind). Wait returns only once that sweep finds nothing.
//
// Linux only: it relies on process groups, PR_SET_PDEATHSIG, waitid and /proc.
package gang
