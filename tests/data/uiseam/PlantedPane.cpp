// Planted for ui_engine_seam_refuses_planted: a pane reaching into the orchestrator.
#include "engine/EngineView.h"
#include "engine/Orchestrator.h"
