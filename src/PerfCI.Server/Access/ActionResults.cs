using Microsoft.AspNetCore.Http.HttpResults;
using PerfCI.Ui.Actions;

namespace PerfCI.Server.Access;

/// <summary>An action service's outcome as the API answers it.</summary>
public static class ActionResults
{
    public static ValidationProblem Invalid<T>(ActionOutcome<T> outcome) =>
        TypedResults.ValidationProblem(outcome.Errors!.ToDictionary(e => e.Key, e => e.Value));

    public static ProblemHttpResult Forbidden<T>(ActionOutcome<T> outcome) =>
        TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static ProblemHttpResult NotFound<T>(ActionOutcome<T> outcome) =>
        TypedResults.Problem(outcome.Message, statusCode: StatusCodes.Status404NotFound, title: "Not found");
}
