// Package approval is the approval chaincode: the process instance of each
// accepted enterprise-establishment application (7.5 c, 7.5 d), one record per
// department step with its decision — department, approver, time, result,
// opinion, outputs and the department's SM2 signature (7.3 b, 7.3 c) — the
// time limits and overruns of the steps, the manual interventions of the
// supervisors (7.6.6, 7.3 d) and the unified issuance bundle that closes a
// process (7.6.7).
//
// A process is running until a department rejects a step, which makes it
// rejected. Its bundle closes it without changing that outcome: a running
// process whose steps are all decided becomes completed, a rejected one stays
// rejected — closed because its bundle exists, so no step of it can be
// reopened.
//
// Departments work on one process in parallel, so the state is laid out to keep
// their transactions from conflicting under Fabric's MVCC validation: a step
// decision writes only its own step record and its own task-queue entry, and
// only reads the process record and the records of the steps it depends on. The
// one exception is a rejection, which also marks the process rejected. For the
// same reason a pending step stores no ready time or deadline: they follow from
// the decision times of its dependencies and are computed whenever the step is
// read.
//
// State layout (composite keys):
//
//	process      [id]                      model.Process
//	step         [process, step]           model.Step
//	intervention [process, id]             model.Intervention
//	bundle       [process]                 model.Bundle
//	step~dept    [department, process, step] task-queue entry of a pending step
package approval
