package httpapi

import (
	"context"
	"errors"

	"github.com/kaiban-platform/kaiban/services/internal/httpapi/api"
)

// The workflow operations (api-spec blocks `# --- registry ---` and
// `# --- acceptance ---`): the item list and process definitions, the task API
// of department systems, and window acceptance.

// errWorkflowOff is the answer of a process that does not run the workflow
// services.
var errWorkflowOff = errors.New("the workflow services do not run in this process")

// ListItems returns the item list.
func (s *Server) ListItems(ctx context.Context, r api.ListItemsRequestObject) (api.ListItemsResponseObject, error) {
	return nil, errWorkflowOff
}

// GetItem returns one item.
func (s *Server) GetItem(ctx context.Context, r api.GetItemRequestObject) (api.GetItemResponseObject, error) {
	return nil, errWorkflowOff
}

// PutItem creates or updates an item.
func (s *Server) PutItem(ctx context.Context, r api.PutItemRequestObject) (api.PutItemResponseObject, error) {
	return nil, errWorkflowOff
}

// ListDefinitions returns an item's definition versions.
func (s *Server) ListDefinitions(ctx context.Context, r api.ListDefinitionsRequestObject) (api.ListDefinitionsResponseObject, error) {
	return nil, errWorkflowOff
}

// CreateDefinition stores a new definition version.
func (s *Server) CreateDefinition(ctx context.Context, r api.CreateDefinitionRequestObject) (api.CreateDefinitionResponseObject, error) {
	return nil, errWorkflowOff
}

// GetDefinition returns one definition version.
func (s *Server) GetDefinition(ctx context.Context, r api.GetDefinitionRequestObject) (api.GetDefinitionResponseObject, error) {
	return nil, errWorkflowOff
}

// ListTasks returns a department's tasks.
func (s *Server) ListTasks(ctx context.Context, r api.ListTasksRequestObject) (api.ListTasksResponseObject, error) {
	return nil, errWorkflowOff
}

// GetTask returns one task.
func (s *Server) GetTask(ctx context.Context, r api.GetTaskRequestObject) (api.GetTaskResponseObject, error) {
	return nil, errWorkflowOff
}

// ReadTaskMaterial returns a granted material's content.
func (s *Server) ReadTaskMaterial(ctx context.Context, r api.ReadTaskMaterialRequestObject) (api.ReadTaskMaterialResponseObject, error) {
	return nil, errWorkflowOff
}

// DecideTask queues a step decision.
func (s *Server) DecideTask(ctx context.Context, r api.DecideTaskRequestObject) (api.DecideTaskResponseObject, error) {
	return nil, errWorkflowOff
}

// ListApplications returns accepted applications.
func (s *Server) ListApplications(ctx context.Context, r api.ListApplicationsRequestObject) (api.ListApplicationsResponseObject, error) {
	return nil, errWorkflowOff
}

// AcceptApplication accepts an establishment application.
func (s *Server) AcceptApplication(ctx context.Context, r api.AcceptApplicationRequestObject) (api.AcceptApplicationResponseObject, error) {
	return nil, errWorkflowOff
}

// GetApplication returns one application.
func (s *Server) GetApplication(ctx context.Context, r api.GetApplicationRequestObject) (api.GetApplicationResponseObject, error) {
	return nil, errWorkflowOff
}
